import { nearestRank } from '../server/nearest-rank.ts';

/** The p-th percentile (0–100) of `values`, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  return values.length === 0 ? NaN : nearestRank([...values].sort((a, b) => a - b), p);
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Rounds to one decimal, for printing. */
export const round1 = (n: number) => Math.round(n * 10) / 10;
