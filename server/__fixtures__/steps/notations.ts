/** Fixture: shiki's own notations next to ours. */
export function greet(name: string): string {
  let greeting = 'Hello'; // [!code --]
  greeting = 'Hi'; // [!code ++]
  // [!code highlight:2]
  const trimmed = name.trim();
  const shown = trimmed || 'there';
  return `${greeting}, ${shown}!`; // [!code focus] [!code step:greet]
}
