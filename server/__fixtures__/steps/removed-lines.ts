// [!code step:counter]
let count = 0;

  // [!code focus] [!code step:tick]
export function tick(): number {
  // Keep this comment: it is not a notation.
  count += 1; // [!code highlight]
  // [!code step:respond]
  return count;
}
