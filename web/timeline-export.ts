/**
 * Turns the timeline on screen into files: a standalone SVG (its markup with the styles it needs
 * inlined) and a PNG drawn from that SVG.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** What `standaloneSvg` wraps. */
export interface StandaloneSvgInput {
  /** The SVG's inner markup, as XML. */
  markup: string;
  /** The CSS rules the markup needs; their `var(--x)` read `variables`. */
  css: string;
  /** Custom properties the CSS reads, by name (`--wb-bg` → `#0d1117`), set on the root. */
  variables: Readonly<Record<string, string>>;
  /** Logical size, user units: also the viewBox. */
  width: number;
  height: number;
  /** Fill behind everything: a file has no page behind it. */
  background: string;
  title: string;
}

/** A self-contained SVG document: the markup, its styles, a background and a title; no comments, scripts, foreign content or event attributes. */
export function standaloneSvg({ markup, css, variables, width, height, background, title }: StandaloneSvgInput): string {
  const declarations = Object.entries(variables)
    .map(([name, value]) => `${name}:${value};`)
    .join('');
  return [
    `<svg xmlns="${SVG_NS}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<style>${escapeXml(`svg{${declarations}}\n${css}`)}</style>`,
    `<rect width="100%" height="100%" fill="${escapeXml(background)}"/>`,
    cleanMarkup(markup),
    '</svg>',
  ].join('\n');
}

/** The live `<svg>` of a component as a standalone file at its logical size (its viewBox), styled as `host` shows it. */
export function snapshotSvg(svg: SVGSVGElement, host: HTMLElement, title: string): string {
  const root = host.shadowRoot;
  const sheets = root ? [...root.adoptedStyleSheets, ...root.styleSheets] : [];
  // Only the rules that style something in this svg: not the toolbar, the tooltip, nor keyframes (a file is a still).
  const css = sheets
    .flatMap((sheet) => [...sheet.cssRules])
    .filter((rule): rule is CSSStyleRule => rule instanceof CSSStyleRule && (svg.matches(rule.selectorText) || svg.querySelector(rule.selectorText) !== null))
    .map((rule) => rule.cssText)
    .join('\n');
  // XMLSerializer escapes `>` in attribute values, so the root's start tag ends at the first one.
  const xml = new XMLSerializer().serializeToString(svg);
  const markup = xml.slice(xml.indexOf('>') + 1, xml.lastIndexOf('</svg>'));
  const style = getComputedStyle(host);
  const names = new Set([...`${css}${markup}`.matchAll(/var\((--[\w-]+)/g)].map((match) => match[1]!));
  const variables = Object.fromEntries([...names].map((name) => [name, style.getPropertyValue(name).trim()]));
  const { width, height } = svg.viewBox.baseVal;
  return standaloneSvg({ markup, css, variables, width, height, background: style.backgroundColor, title });
}

/** Draws an SVG document on a canvas `pixelRatio` times its size and encodes it as PNG. */
export async function svgToPng(svgText: string, width: number, height: number, pixelRatio = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * pixelRatio);
    canvas.height = Math.round(height * pixelRatio);
    canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The canvas could not be encoded as PNG'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves a blob as a file through a temporary `<a download>`. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  Object.assign(document.createElement('a'), { href: url, download: filename }).click();
  // The browser fetches the URL after this task; revoking it at once can cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Comments (lit's part markers among them), scripts, foreign content and event attributes have no place in a file. */
function cleanMarkup(markup: string): string {
  return markup
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|foreignObject)\b[^>]*\/>|<(script|foreignObject)\b[\s\S]*?<\/\2>/g, '')
    .replace(/<[a-zA-Z][^>]*>/g, (tag) => tag.replace(/\s+on[\w-]+\s*=\s*("[^"]*"|'[^']*')/gi, ''));
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[c]};`);
}
