import { describe, expect, it } from 'vitest';
import { standaloneSvg, type StandaloneSvgInput } from './timeline-export.ts';

const input: StandaloneSvgInput = {
  markup: '<!--?lit$123$--><g class="shape request" data-key="request:c1"><!----><line class="body" x1="0" y1="0" x2="10" y2="5"></line></g><text class="lane-label">server<title>server</title></text>',
  css: '.request .body { stroke: var(--wb-client); }\n.lane-label { fill: var(--wb-client); }',
  variables: { '--wb-client': '#79c0ff', '--wb-font': "system-ui, 'Segoe UI', sans-serif" },
  width: 800,
  height: 200,
  background: 'rgb(13, 17, 23)',
  title: 'Timeline of 3 trace events over 20 s',
};

/** The element names of an XML document in document order, failing on a tag that does not close what is open. */
function checkWellFormed(xml: string): string[] {
  const open: string[] = [];
  const names: string[] = [];
  for (const [tag, closing, name, selfClosing] of xml.matchAll(/<(\/?)([\w:-]+)(?:\s+[\w:-]+="[^"<]*")*\s*(\/?)>/g)) {
    if (closing) expect(open.pop(), tag).toBe(name);
    else if (!selfClosing) open.push(name!);
    if (!closing) names.push(name!);
  }
  expect(open).toEqual([]);
  // Every `<` and `&` left is part of a tag or an entity.
  expect(xml.replace(/<(\/?)([\w:-]+)(?:\s+[\w:-]+="[^"<]*")*\s*(\/?)>/g, '').replace(/&(amp|lt|gt|quot);/g, '')).not.toMatch(/[<&]/);
  return names;
}

describe('standaloneSvg', () => {
  it('wraps the markup in a root svg of the logical size with a title, the styles and a background', () => {
    const svg = standaloneSvg(input);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="200" viewBox="0 0 800 200">\n/);
    expect(checkWellFormed(svg)).toEqual(['svg', 'title', 'style', 'rect', 'g', 'line', 'text', 'title']);
    expect(svg).toContain('<title>Timeline of 3 trace events over 20 s</title>');
    expect(svg).toContain('<rect width="100%" height="100%" fill="rgb(13, 17, 23)"/>');
  });

  it('sets the custom properties the CSS reads on the root, beside the rules', () => {
    const style = /<style>([\s\S]*)<\/style>/.exec(standaloneSvg(input))![1];
    expect(style).toBe("svg{--wb-client:#79c0ff;--wb-font:system-ui, 'Segoe UI', sans-serif;}\n" + input.css);
  });

  it('drops comments, lit markers among them', () => {
    const svg = standaloneSvg(input);
    expect(svg).not.toContain('<!--');
    expect(svg).toContain('<g class="shape request" data-key="request:c1"><line class="body"');
  });

  it('drops scripts, foreign content and event attributes', () => {
    const markup =
      '<g onclick="alert(1)" class="a" onmouseover=\'x()\'><script>alert(2)</script><foreignObject width="5"><div>html</div></foreignObject><script href="x.js"/></g>';
    const svg = standaloneSvg({ ...input, markup });
    expect(svg).toContain('\n<g class="a"></g>\n');
  });

  it('escapes the title, the background and the CSS as XML text', () => {
    const svg = standaloneSvg({ ...input, title: 'a < b & "c"', css: '.a > .b { content: "<&>"; }', background: '"red"' });
    checkWellFormed(svg);
    expect(svg).toContain('<title>a &lt; b &amp; &quot;c&quot;</title>');
    expect(svg).toContain('.a &gt; .b { content: &quot;&lt;&amp;&gt;&quot;; }');
    expect(svg).toContain('fill="&quot;red&quot;"');
  });
});
