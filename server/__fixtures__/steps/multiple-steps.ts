/** Fixture: several steps on one line, from one comment and from overlapping ranges. */
export function schedule(render: (queuedAt: number) => void): number {
  // [!code step:schedule:3]
  const queuedAt = performance.now();
  const frame = requestAnimationFrame(() => render(queuedAt)); // [!code step:render] [!code step:frame]
  return frame;
}
