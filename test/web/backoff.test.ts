import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/web/client/backoff.js';

describe('reconnect backoff', () => {
  it('grows exponentially up to the cap, with half of each delay random', () => {
    const low = (n: number): number => backoffDelay(n, () => 0);
    const high = (n: number): number => backoffDelay(n, () => 0.999999);
    expect([low(0), low(1), low(2), low(3)]).toEqual([250, 500, 1000, 2000]);
    expect([high(0), high(1), high(2), high(3)]).toEqual([500, 1000, 2000, 4000]);
    expect(high(5)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(high(50)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(low(1000)).toBe(DEFAULT_BACKOFF.maxMs / 2);
  });

  it('is never immediate and never beyond the cap, whatever the input', () => {
    for (const attempt of [-5, 0, 0.5, 3, 17, Number.NaN, Number.POSITIVE_INFINITY]) {
      for (const r of [0, 0.3, 0.999, -1, 2]) {
        const d = backoffDelay(attempt, () => r);
        expect(d).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.baseMs / 2);
        expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
      }
    }
  });

  it('spreads a crowd: different random draws give different delays', () => {
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, rand)));
    expect(delays.size).toBeGreaterThan(30);
  });

  it('honours custom options', () => {
    expect(backoffDelay(2, () => 0, { baseMs: 100, maxMs: 1000, factor: 3 })).toBe(450);
    expect(backoffDelay(9, () => 0.9999999, { baseMs: 100, maxMs: 1000, factor: 3 })).toBe(1000);
  });
});
