/**
 * Decimal text for the numbers the generator puts on the wire, without V8's general number printing.
 *
 * Printing a fractional double (`'' + 12.34`) runs V8's shortest-round-trip algorithm; at 60 000 frames/s of
 * five such numbers it was ~9 % of the simulator's CPU. The values here have a known number of decimals (the
 * knob is rounded to hundredths, `t` to thousandths of a millisecond), so the text can be assembled from an
 * integer and a precomputed fraction. The text parses back to exactly the same double (test/simulate/
 * number-text.test.ts), which the sink and the matched ledger rely on.
 */

const hundredths = fractions(2);
const thousandths = fractions(3);

/** '', '.01', ..., '.1', ... '.99': trailing zeros dropped, as JSON.stringify would print them. */
function fractions(digits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 10 ** digits; i++) out.push(i === 0 ? '' : `.${String(i).padStart(digits, '0')}`.replace(/0+$/, ''));
  return out;
}

/** Larger magnitudes fall back to String(): the fast path keeps to integers that stay exact in `| 0`. */
const FAST_LIMIT = 2 ** 30;

/** `v` already rounded to hundredths (patterns.ts round2). */
export function hundredthsText(v: number): string {
  const n = Math.round(v * 100);
  const a = n < 0 ? -n : n;
  if (!(a < FAST_LIMIT)) return String(v);
  const text = ((a / 100) | 0) + hundredths[a % 100]!;
  return n < 0 ? '-' + text : text;
}

/**
 * Below 2^41 (epoch ms until the year 2039) a double's spacing is 2^-12, fine enough that thousandths survive
 * `v * 1000` and print back unchanged; above, String() decides.
 */
const THOUSANDTHS_LIMIT = 2 ** 41;

let lastWhole = -1;
let lastWholeText = '';

/**
 * `v` ≥ 0 already rounded to thousandths (clock.ts stampMs: epoch ms). Consecutive stamps share their whole
 * milliseconds, so that part is printed once per millisecond, not once per frame.
 */
export function thousandthsText(v: number): string {
  if (!(v >= 0 && v < THOUSANDTHS_LIMIT)) return String(v);
  const k = Math.round(v * 1000);
  const whole = Math.floor(k / 1000);
  if (whole !== lastWhole) {
    lastWhole = whole;
    lastWholeText = String(whole);
  }
  return lastWholeText + thousandths[k - whole * 1000]!;
}
