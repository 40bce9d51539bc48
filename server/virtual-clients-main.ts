/**
 * The virtual clients' process: runs the choosing lesson's headless clients (load-clients.ts)
 * away from the workbench, so that thousands of them cost the workbench nothing but the traffic.
 * Told how many of each technique to run, it opens or closes clients gradually, and once a
 * second reports how many run and the latencies they measured. It ends with its parent.
 */
import { Agent } from 'node:http';
import type { TechniqueKind } from '../lessons/lesson.ts';
import { VIRTUAL_CLIENT_PREFIX } from '../lessons/trace-event.ts';
import { startLoadClient } from './load-clients.ts';
import type { FromVirtualClients, ToVirtualClients } from './virtual-clients.ts';

/** Clients opened per technique per tick: a ramp (1 000 a second each), not a flood of connection attempts. */
const RAMP_PER_TICK = 50;
const TICK_MS = 50;
const REPORT_EVERY_MS = 1_000;

const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const running = new Map<TechniqueKind, AbortController[]>();
/** Where each technique's clients connect, and short polling's interval: a change (a new lesson server after an edit, a new interval) restarts them. */
const ways = new Map<TechniqueKind, string>();
let wanted: Extract<ToVirtualClients, { type: 'set' }> = { type: 'set', techniques: [], intervalMs: 1_000 };
let latencies: Partial<Record<TechniqueKind, number[]>> = {};
let errors = 0;
let lastError: string | undefined;
let serial = 0;

process.on('message', (message: ToVirtualClients) => {
  if (message.type === 'set') wanted = message;
});
process.on('disconnect', () => process.exit(0));

setInterval(() => {
  for (const technique of wanted.techniques) {
    const clients = running.get(technique.kind) ?? [];
    running.set(technique.kind, clients);
    // A new URL, or short polling at a new interval: the clients start again, the new way.
    const way = `${technique.url} ${technique.kind === 'short-polling' ? wanted.intervalMs : ''}`;
    if (ways.get(technique.kind) !== way) {
      for (const controller of clients.splice(0)) controller.abort();
      ways.set(technique.kind, way);
    }
    for (let i = 0; i < RAMP_PER_TICK && clients.length < technique.count; i++) {
      const controller = new AbortController();
      clients.push(controller);
      startLoadClient({
        kind: technique.kind,
        url: technique.url,
        clientId: `${VIRTUAL_CLIENT_PREFIX}${technique.kind}-${++serial}`,
        agent,
        intervalMs: wanted.intervalMs,
        signal: controller.signal,
        onDelivery: ({ changedAt, receivedAt, first }) => first || (latencies[technique.kind] ??= []).push(receivedAt - changedAt),
        onError(error) {
          errors++;
          lastError = error.message;
        },
      });
    }
    for (const controller of clients.splice(technique.count)) controller.abort();
  }
  for (const [kind, clients] of running) {
    if (!wanted.techniques.some((t) => t.kind === kind)) for (const controller of clients.splice(0)) controller.abort();
  }
}, TICK_MS);

setInterval(() => {
  const report: FromVirtualClients = {
    type: 'report',
    running: Object.fromEntries([...running].map(([kind, clients]) => [kind, clients.length])),
    latencies,
    errors,
    ...(lastError ? { lastError } : {}),
  };
  process.send?.(report);
  latencies = {};
  errors = 0;
  lastError = undefined;
}, REPORT_EVERY_MS);
