import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createApp } from './app.ts';
import { createBufferingProxy } from './buffering-proxy.ts';
import { createFrontend } from './frontend.ts';
import { loadLessonCatalog } from './lesson-catalog.ts';
import { createLessonHost, type LessonHost } from './lesson-host.ts';
import { takeConnection } from './connection-handoff.ts';
import { createLessonHandoff } from './lesson-handoff.ts';
import { createLessonWorkspace } from './lesson-workspace.ts';
import { createLiveSocketServer } from './live-socket.ts';
import { removeStaleBuilds } from './remove-stale-builds.ts';
import { createTraceHub, type TraceHub } from './trace-hub.ts';
import { clientLane } from '../lessons/trace-event.ts';
import { routeUpgrades } from './upgrades.ts';
import { createPresentation, type Presentation } from './presentation.ts';
import type { PresentationUrls } from './presentation-router.ts';
import { watchLessons } from './watch-lessons.ts';

export interface WorkbenchOptions {
  /** The project folder (holds lessons/, web/, vite.config.ts). */
  root: string;
  /** `dev`: Vite middleware; `prod`: the built page from dist/. @default 'dev' */
  mode?: 'dev' | 'prod';
  /** Where the built page is, for `prod`. @default `<root>/dist` */
  distDir?: string;
  /** Vite hot reload over the same port. @default true */
  hmr?: boolean;
  /** Reload lessons when their files change on disk. @default true */
  watch?: boolean;
  /** Where the lesson folders are. @default `<root>/lessons` */
  lessonsDir?: string;
  /** How long the nginx stand-in lets a response sit without a byte from the server, ms. @default 10 s */
  nginxIdleTimeoutMs?: number;
  /** Where edits made in the page are kept (never over `lessonsDir`). @default `<root>/.workbench/workspace` */
  workspaceDir?: string;
  /** What a request from another machine must show to steer the demo or edit lesson code. @default a random one */
  presenterToken?: string;
  /**
   * Whether requests from this machine are the presenter's without the token. Off on a shared
   * machine (`--require-token`): everyone then needs the token to steer or edit. @default true
   */
  trustLoopback?: boolean;
}

export interface Workbench {
  server: Server;
  /** Print it at start-up: steering or editing from another machine (the presenter's phone) needs it. */
  presenterToken: string;
  presentation: Presentation;
  /** Where the audience joins and the presenter window opens (once listening). */
  urls(): PresentationUrls;
  hub: TraceHub;
  hosts: ReadonlyMap<string, LessonHost>;
  /** Starts listening; resolves to the URL. */
  listen(port: number, host: string): Promise<string>;
  /** Closes sockets, streams, runners and watchers; idempotent. */
  close(): Promise<void>;
}

let workbenches = 0;

/** The nginx stand-in's idle timeout (nginx's own `proxy_read_timeout` is 60 s; shorter, so a class does not wait a minute). */
const NGINX_IDLE_TIMEOUT_MS = 10_000;

/** How long a closing workbench lets WebSockets finish their close handshakes, ms. */
const UPGRADED_GRACE_MS = 1_000;

/** Assembles the workbench (nothing listens until `listen`). */
export async function createWorkbench({
  root,
  mode = 'dev',
  distDir,
  hmr = true,
  watch = true,
  lessonsDir = join(root, 'lessons'),
  nginxIdleTimeoutMs = NGINX_IDLE_TIMEOUT_MS,
  workspaceDir = join(root, '.workbench', 'workspace'),
  presenterToken = randomBytes(18).toString('base64url'),
  trustLoopback = true,
}: WorkbenchOptions): Promise<Workbench> {
  const hub = createTraceHub();
  // Compiled lesson code lives under the project so that its imports (express, ws) resolve.
  const buildRoot = join(root, '.workbench', `build-${process.pid}-${++workbenches}`);
  void removeStaleBuilds(join(root, '.workbench'));
  const entries = await loadLessonCatalog(lessonsDir);
  const workspace = createLessonWorkspace(workspaceDir);
  const server = createServer();
  // A runner hands a client's connection back with the first request on it that is not its lesson's.
  let closing: Promise<void> | undefined;
  const onConnection = (socket: Socket, head: string) => (closing ? socket.destroy() : takeConnection(server, socket, head));
  const hosts = new Map(entries.map((entry) => [entry.slug, createLessonHost(entry, { hub, buildRoot, workspace, compileClients: mode === 'prod', onConnection })]));
  const byFolder = new Map(entries.map((entry) => [entry.dir.slice(lessonsDir.length + 1), hosts.get(entry.slug)!]));

  const frontend = await createFrontend({ root, mode, distDir, ...(mode === 'dev' && hmr ? { hmrServer: server } : {}) });
  const handoff = createLessonHandoff(hosts);
  let origin = '';
  const nginx = createBufferingProxy({
    target: () => origin,
    idleTimeoutMs: () => nginxIdleTimeoutMs,
    onIdleTimeout({ url, idleMs, client }) {
      const slug = /^\/lessons\/([a-z0-9-]+)\//.exec(url)?.[1];
      if (!slug || !hosts.has(slug)) return;
      const message = `The nginx stand-in closed ${url.split('?')[0]} after ${idleMs / 1000} s without a byte from the server (proxy_read_timeout)`;
      hub.emit(slug, { kind: 'error', t: Date.now(), lane: client ? clientLane(client) : 'server', ...(client ? { client } : {}), phase: 'proxy', message });
    },
  });
  const presentation = createPresentation();
  const live = createLiveSocketServer({ hosts, hub, presentation });
  const presenter = { token: presenterToken, trustLoopback, port: () => (server.address() as AddressInfo | null)?.port ?? 0 };
  const urls = () => presentationUrls(server.address() as AddressInfo | null, presenterToken);
  server.on('request', createApp({ hosts, hub, handoff, nginx, frontend, presenter, presentation, urls }));
  routeUpgrades(server, { live, handoff });

  const stopWatching = watch
    ? watchLessons(lessonsDir, (folder, file) => {
        const host = byFolder.get(folder);
        host?.fileChanged(file).catch((error: unknown) => {
          hub.emit(host.slug, { kind: 'error', t: Date.now(), lane: 'server', phase: 'load', message: error instanceof Error ? error.message : String(error) });
        });
      })
    : () => {};

  // Upgraded sockets are no longer the HTTP server's to close, but it waits for them: track them.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });

  return {
    server,
    presenterToken,
    presentation,
    urls,
    hub,
    hosts,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          const name = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          // The stand-in talks to this server over loopback, whatever address it listens on.
          origin = `http://${address.family === 'IPv6' ? '[::1]' : '127.0.0.1'}:${address.port}`;
          resolve(`http://${name}:${address.port}`);
        });
      }),
    close: () =>
      (closing ??= (async () => {
        stopWatching();
        for (const socket of live.clients) socket.close(1001, 'Workbench shutting down');
        live.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        nginx.close();
        await Promise.all([...hosts.values()].map((host) => host.close()));
        // The pages were told goodbye (1001): give the close frames a moment, then cut what is left
        // (a peer that never reads). The lessons' own sockets are their runners' and went with them.
        await Promise.race([
          Promise.all([...upgraded].map((socket) => new Promise((resolve) => socket.once('close', resolve)))),
          new Promise((resolve) => setTimeout(resolve, UPGRADED_GRACE_MS).unref()),
        ]);
        for (const socket of upgraded) socket.destroy();
        await frontend.close();
        await closed;
        await rm(buildRoot, { recursive: true, force: true });
      })()),
  };
}

/**
 * The audience URL and the presenter window's (with the token) for a server listening at `address`:
 * on every interface, the machine's first network address (what students' laptops can reach).
 */
function presentationUrls(address: AddressInfo | null, token: string): PresentationUrls {
  if (!address) return { audience: '', presenter: '', reachable: false };
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  const loopback = /^127\.|^::1$|^::ffff:127\./.test(address.address);
  const host = wildcard ? (lan ?? '127.0.0.1') : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const base = `http://${host}:${address.port}`;
  return { audience: `${base}/audience`, presenter: `${base}/presenter?token=${encodeURIComponent(token)}`, reachable: wildcard ? lan !== undefined : !loopback };
}
