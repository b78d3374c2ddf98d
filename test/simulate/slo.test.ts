import { describe, expect, it } from 'vitest';
import { SloSyntaxError } from '../../src/simulate/errors.js';
import { evaluateSlo, parseSlo, type SloValues } from '../../src/simulate/slo.js';

const values = (over: Partial<SloValues> = {}): SloValues => ({
  p50: 1,
  p95: 5,
  p99: 20,
  max: 80,
  mean: 2,
  delivery: 0.9995,
  duplicates: 0,
  outOfOrder: 0,
  ghosts: 0,
  lag: 3,
  cpu: 40,
  rate: 60000,
  fps: 10,
  ...over,
});

describe('slo: parsing', () => {
  it('reads the documented example', () => {
    expect(parseSlo('p99<50,delivery>=0.999')).toEqual([
      { metric: 'p99', op: '<', value: 50, text: 'p99<50' },
      { metric: 'delivery', op: '>=', value: 0.999, text: 'delivery>=0.999' },
    ]);
  });

  it('accepts spaces, units, percentages and aliases', () => {
    expect(parseSlo(' p95 <= 10ms , delivery >= 99.9% , ghostUsers == 0, ooo<1 ')).toEqual([
      { metric: 'p95', op: '<=', value: 10, text: 'p95 <= 10ms' },
      { metric: 'delivery', op: '>=', value: 0.999, text: 'delivery >= 99.9%' },
      { metric: 'ghosts', op: '==', value: 0, text: 'ghostUsers == 0' },
      { metric: 'outOfOrder', op: '<', value: 1, text: 'ooo<1' },
    ]);
  });

  it.each([
    ['', /empty/],
    ['p99', /cannot read/],
    ['p99<<50', /cannot read/],
    ['p99=50', /cannot read/],
    ['p99<fast', /cannot read/],
    ['latency<50', /unknown metric "latency"/],
    ['p99<50,', /cannot read/],
    ['duplicates<5%', /"%" only applies/],
    ['delivery>1ms', /"ms" only applies/],
  ])('rejects %j', (text, message) => {
    expect(() => parseSlo(text)).toThrow(SloSyntaxError);
    expect(() => parseSlo(text)).toThrow(message);
  });
});

describe('slo: evaluation', () => {
  it('passes when every term holds and names the failing term otherwise', () => {
    const terms = parseSlo('p99<50,delivery>=0.999,ghosts==0');
    expect(evaluateSlo(terms, values()).every((r) => r.ok)).toBe(true);
    const breached = evaluateSlo(terms, values({ p99: 50, ghosts: 2 }));
    expect(breached.map((r) => [r.term, r.ok, r.actual])).toEqual([
      ['p99<50', false, 50],
      ['delivery>=0.999', true, 0.9995],
      ['ghosts==0', false, 2],
    ]);
  });

  it('applies each operator at its boundary', () => {
    const at = (text: string, p99: number): boolean => evaluateSlo(parseSlo(text), values({ p99 }))[0]!.ok;
    expect([at('p99<10', 10), at('p99<=10', 10), at('p99>10', 10), at('p99>=10', 10), at('p99==10', 10)]).toEqual([false, true, false, true, true]);
    expect([at('p99<10', 9.99), at('p99>10', 10.01)]).toEqual([true, true]);
  });

  it('fails a term whose metric was not measured', () => {
    expect(evaluateSlo(parseSlo('p99<50'), values({ p99: null }))).toEqual([{ term: 'p99<50', metric: 'p99', actual: null, ok: false }]);
  });
});
