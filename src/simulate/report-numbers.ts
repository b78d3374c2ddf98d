/** How the report writes its figures: rounded to a fixed number of digits, shares as percentages. */

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** A share as a percentage: one decimal at the ends of the scale, two where the difference matters (99.95 %). */
export function pct(share: number): string {
  return `${(share * 100).toFixed(share >= 0.9995 || share === 0 ? 1 : 2)}%`;
}
