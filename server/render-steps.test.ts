import { describe, expect, it } from 'vitest';
import type { Scenario } from '../lessons/lesson.ts';
import { parseScenarioText, renderLessonSteps } from './render-steps.ts';

describe('renderLessonSteps', () => {
  it('makes one step per "## " heading, titled by the heading', async () => {
    const steps = await renderLessonSteps('## Ask\nFirst *one*.\n\n## Answer\nSecond.\n');
    expect(steps).toEqual([
      { title: 'Ask', html: '<p>First <em>one</em>.</p>\n', focus: [] },
      { title: 'Answer', html: '<p>Second.</p>\n', focus: [] },
    ]);
  });

  it('puts the prose before the first heading in an "Introduction" step', async () => {
    const steps = await renderLessonSteps('The page keeps **asking**.\n\n## Ask\nFirst.\n');
    expect(steps).toEqual([
      { title: 'Introduction', html: '<p>The page keeps <strong>asking</strong>.</p>\n', focus: [] },
      { title: 'Ask', html: '<p>First.</p>\n', focus: [] },
    ]);
  });

  it('makes no Introduction step when only blank lines come before the first heading', async () => {
    const steps = await renderLessonSteps('\n\n## Ask\nFirst.\n');
    expect(steps.map((step) => step.title)).toEqual(['Ask']);
  });

  it('makes a single Introduction step for prose without headings', async () => {
    expect(await renderLessonSteps('Just prose.\n')).toEqual([{ title: 'Introduction', html: '<p>Just prose.</p>\n', focus: [] }]);
  });

  it('makes no steps for an empty body', async () => {
    expect(await renderLessonSteps('')).toEqual([]);
  });

  it('renders a heading with nothing under it as an empty step', async () => {
    expect(await renderLessonSteps('## Last')).toEqual([{ title: 'Last', html: '', focus: [] }]);
  });

  it('keeps deeper headings inside the step', async () => {
    const steps = await renderLessonSteps('## Ask\n### Details\nMore.\n');
    expect(steps).toEqual([{ title: 'Ask', html: '<h3>Details</h3>\n<p>More.</p>\n', focus: [] }]);
  });

  describe('step directive', () => {
    it('sets focus and scenario and is left out of the HTML', async () => {
      const steps = await renderLessonSteps(
        '## Ask, answer, repeat\n<!-- step focus="request respond read" scenario="interval 1500" -->\n\nEach poll is a request.\n',
      );
      expect(steps).toEqual([
        {
          title: 'Ask, answer, repeat',
          html: '<p>Each poll is a request.</p>\n',
          focus: ['request', 'respond', 'read'],
          scenario: { kind: 'interval', everyMs: 1_500 },
        },
      ]);
    });

    it('may set only the focus, with extra spaces between ids', async () => {
      const [step] = await renderLessonSteps('## Ask\n<!-- step focus="  request   respond " -->\nText.\n');
      expect(step).toEqual({ title: 'Ask', html: '<p>Text.</p>\n', focus: ['request', 'respond'] });
    });

    it('may set only a burst scenario', async () => {
      const [step] = await renderLessonSteps('## Burst\n<!-- step scenario="burst 5 50 3000" -->\nText.\n');
      expect(step).toEqual({
        title: 'Burst',
        html: '<p>Text.</p>\n',
        focus: [],
        scenario: { kind: 'burst', count: 5, gapMs: 50, everyMs: 3_000 },
      });
    });

    it('sets nothing when the comment is not a step directive', async () => {
      const [step] = await renderLessonSteps('## Ask\n<!-- a note -->\nText.\n');
      expect(step).toMatchObject({ title: 'Ask', focus: [] });
      expect(step).not.toHaveProperty('scenario');
      expect(step?.html).toContain('<!-- a note -->');
    });

    it('is only read at the start of the step', async () => {
      const [step] = await renderLessonSteps('## Ask\nText.\n\n<!-- step focus="late" -->\n');
      expect(step?.focus).toEqual([]);
    });

    it('throws naming the step when the scenario is not valid', async () => {
      await expect(renderLessonSteps('## Fast polling\n<!-- step scenario="interval 10" -->\nText.\n')).rejects.toThrow(
        new Error('step "Fast polling": scenario "interval 10" is not "manual", "interval <ms>" or "burst <count> <gap ms> <every ms>"'),
      );
    });
  });

  describe('presenting', () => {
    it('reads an action the step runs when a presenter arrives at it', async () => {
      const steps = await renderLessonSteps('## Race\n<!-- step scenario="manual" action="race naive" -->\nText.\n## Drop\n<!-- step action="drop a" -->\n## Change\n<!-- step action="change" -->\n', {
        clients: ['naive', 'a'],
      });
      expect(steps.map((s) => s.action)).toEqual([{ kind: 'race', client: 'naive' }, { kind: 'drop', client: 'a' }, { kind: 'change' }]);
    });

    it('throws naming the step when the action is not one, or names no client of the lesson', async () => {
      await expect(renderLessonSteps('## Go\n<!-- step action="dance" -->\n')).rejects.toThrow('step "Go": action "dance" is not "race <client>", "drop <client>" or "change"');
      await expect(renderLessonSteps('## Go\n<!-- step action="race" -->\n')).rejects.toThrow('is not "race <client>"');
      await expect(renderLessonSteps('## Go\n<!-- step action="change now" -->\n')).rejects.toThrow('is not "race <client>"');
      await expect(renderLessonSteps('## Go\n<!-- step action="race bob" -->\n', { clients: ['naive'] })).rejects.toThrow('names no client of the lesson (naive)');
    });

    it('takes speaker notes out of the prose, rendered as markdown for the presenter window', async () => {
      const [step] = await renderLessonSteps('## Ask\n<!-- step focus="a" -->\nText.\n\n<!-- notes\nSay **why** first.\n-->\nMore.\n<!-- notes Then ask the room. -->\n');
      expect(step).toEqual({ title: 'Ask', html: '<p>Text.</p>\n<p>More.</p>\n', focus: ['a'], notes: '<p>Say <strong>why</strong> first.</p>\n<p>Then ask the room.</p>\n' });
    });
  });

  describe('fenced code', () => {
    it('is highlighted by shiki', async () => {
      const [step] = await renderLessonSteps('## Code\n```ts\nconst a = 1;\n```\n');
      expect(step?.html).toMatch(/^<pre class="shiki github-dark"[^>]*><code><span class="line">/);
      expect(step?.html).toContain('<span style="color:#F97583">const</span>');
      expect(step?.html).not.toContain('```');
    });

    it('renders an unknown language as plain text in a shiki block', async () => {
      const [step] = await renderLessonSteps('## Code\n```nosuchlang\n<b>a</b>\n```\n');
      expect(step?.html).toMatch(/^<pre class="shiki github-dark"/);
      expect(step?.html).toContain('&#x3C;b>a&#x3C;/b>');
      expect(step?.html).not.toContain('<b>');
    });
  });
});

describe('parseScenarioText', () => {
  it.each<[string, Scenario]>([
    ['manual', { kind: 'manual' }],
    ['  manual  ', { kind: 'manual' }],
    ['interval 1500', { kind: 'interval', everyMs: 1_500 }],
    ['interval   50', { kind: 'interval', everyMs: 50 }],
    ['burst 5 50 3000', { kind: 'burst', count: 5, gapMs: 50, everyMs: 3_000 }],
    ['burst 3 0 100', { kind: 'burst', count: 3, gapMs: 0, everyMs: 100 }],
  ])('reads "%s"', (text, expected) => {
    expect(parseScenarioText(text)).toEqual(expected);
  });

  it.each([
    '',
    'sometimes',
    'manual 5',
    'interval',
    'interval 10',
    'interval -1500',
    'interval soon',
    'interval 1500 2000',
    'interval Infinity',
    'burst 5 50',
    'burst 5 200 1000',
    'burst 0 50 3000',
    'burst 5 50 3000 1',
    'Interval 1500',
  ])('refuses "%s"', (text) => {
    expect(parseScenarioText(text)).toBeUndefined();
  });
});
