import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stampMs } from '../../src/simulate/clock.js';
import { hundredthsText, thousandthsText } from '../../src/simulate/number-text.js';
import { round2 } from '../../src/simulate/patterns.js';

describe('number-text: the generator prints exactly what String() would', () => {
  it('hundredths: knob values rounded by round2, both signs, any magnitude the knob and beyond', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e7, max: 1e7, noNaN: true }), (d) => {
        const v = round2(d);
        const text = hundredthsText(v);
        expect(text).toBe(String(v));
        expect(JSON.parse(text)).toBe(v);
      }),
      { numRuns: 20_000 },
    );
  });

  it('hundredths: the edges (zero, negative zero, whole numbers, one hundredth either side of zero)', () => {
    for (const v of [0, -0, 1, -1, 0.01, -0.01, 0.1, -0.1, 0.5, 170, -170, 100, 359.99, 12.3, -12.05]) {
      expect(hundredthsText(v)).toBe(String(v + 0));
    }
  });

  it('thousandths: epoch-millisecond stamps in any order (the whole-millisecond cache never leaks)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 5e12, noNaN: true }), { minLength: 1, maxLength: 50 }), (ms) => {
        for (const m of ms) {
          const v = stampMs(m);
          const text = thousandthsText(v);
          expect(text).toBe(String(v));
          expect(JSON.parse(text)).toBe(v);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('thousandths: stamps a microsecond apart across a millisecond boundary', () => {
    const base = stampMs(1_764_000_000_123.998);
    for (let i = 0; i < 5; i++) {
      const v = stampMs(base + i / 1000);
      expect(thousandthsText(v)).toBe(String(v));
    }
  });

  it('values outside the fast path fall back to String()', () => {
    for (const v of [NaN, Infinity, -Infinity, 2 ** 40 + 0.25, -(2 ** 40)]) expect(hundredthsText(v)).toBe(String(v));
    for (const v of [NaN, -1, 2 ** 60]) expect(thousandthsText(v)).toBe(String(v));
  });
});
