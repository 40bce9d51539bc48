import { Marked, type Tokens } from 'marked';
import type { LessonStep, Scenario, StepAction } from '../lessons/lesson.ts';
import { highlightSnippet } from './highlight.ts';
import { parseScenario } from './scenario.ts';

const STEP_DIRECTIVE = /^\s*<!--\s*step\b([\s\S]*?)-->\s*\n?/;
const ATTRIBUTE = /([a-z]+)="([^"]*)"/g;
const NOTES = /<!--\s*notes\b([\s\S]*?)-->\s*\n?/g;

/**
 * Splits lesson prose into steps at each `## ` heading and renders each step's markdown.
 * A step may start with `<!-- step focus="step-id other-id" scenario="interval 1500" action="race naive" -->`
 * (the action runs when a presenter arrives at the step), and hold speaker notes for the presenter
 * window in `<!-- notes … -->` (markdown; not shown in the prose).
 */
export async function renderLessonSteps(body: string, { clients }: { clients?: readonly string[] } = {}): Promise<LessonStep[]> {
  const marked = new Marked({
    async: true,
    gfm: true,
    async walkTokens(token) {
      if (token.type === 'code') (token as Tokens.Code & { html?: string }).html = await highlightSnippet(token.text, token.lang ?? '');
    },
    renderer: {
      code(token) {
        return (token as Tokens.Code & { html?: string }).html ?? false;
      },
    },
  });
  // Split at level-2 headings as markdown sees them (a `## ` line inside a code block is not one).
  const parts: { title: string; markdown: string }[] = [{ title: 'Introduction', markdown: '' }];
  for (const token of marked.lexer(body)) {
    if (token.type === 'heading' && token.depth === 2) parts.push({ title: token.text, markdown: '' });
    else parts.at(-1)!.markdown += token.raw;
  }
  if (!parts[0]!.markdown.trim()) parts.shift();
  const steps: LessonStep[] = [];
  for (const part of parts) steps.push(await renderStep(part.title, part.markdown, marked, clients));
  return steps;
}

async function renderStep(title: string, markdown: string, marked: Marked, clients?: readonly string[]): Promise<LessonStep> {
  const directive = STEP_DIRECTIVE.exec(markdown);
  const attributes = Object.fromEntries([...(directive?.[1] ?? '').matchAll(ATTRIBUTE)].map(([, k, v]) => [k, v]));
  const prose = directive ? markdown.slice(directive[0].length) : markdown;
  const notes = [...prose.matchAll(NOTES)].map(([, text]) => text!.trim()).join('\n\n');
  const step: LessonStep = {
    title,
    html: await marked.parse(prose.replace(NOTES, '')),
    focus: (attributes.focus ?? '').split(/\s+/).filter(Boolean),
  };
  if (notes) step.notes = await marked.parse(notes);
  if (attributes.action) {
    const action = parseStepAction(attributes.action);
    if (!action) throw new Error(`step "${title}": action "${attributes.action}" is not "race <client>", "drop <client>" or "change"`);
    if ('client' in action && clients && !clients.includes(action.client)) throw new Error(`step "${title}": action "${attributes.action}" names no client of the lesson (${clients.join(', ')})`);
    step.action = action;
  }
  if (attributes.scenario) {
    const scenario = parseScenarioText(attributes.scenario);
    if (!scenario) throw new Error(`step "${title}": scenario "${attributes.scenario}" is not "manual", "interval <ms>" or "burst <count> <gap ms> <every ms>"`);
    step.scenario = scenario;
  }
  return step;
}

/** Reads a step's `action`: `race <client>`, `drop <client>` or `change`. */
export function parseStepAction(text: string): StepAction | undefined {
  const [kind, client, ...rest] = text.trim().split(/\s+/);
  if (rest.length) return undefined;
  if (kind === 'change' && client === undefined) return { kind };
  if ((kind === 'race' || kind === 'drop') && client && /^[\w-]{1,64}$/.test(client)) return { kind, client };
  return undefined;
}

/** Reads the short scenario notation of step directives. */
export function parseScenarioText(text: string): Scenario | undefined {
  const [kind, ...numbers] = text.trim().split(/\s+/);
  const n = numbers.map(Number);
  if (n.some((x) => !Number.isFinite(x))) return undefined;
  if (kind === 'manual' && n.length === 0) return { kind: 'manual' };
  if (kind === 'interval' && n.length === 1) return parseScenario({ kind, everyMs: n[0] });
  if (kind === 'burst' && n.length === 3) return parseScenario({ kind, count: n[0], gapMs: n[1], everyMs: n[2] });
  return undefined;
}
