import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/simulate/errors.js';
import { resolveOptions } from '../../src/simulate/options.js';

describe('simulate options', () => {
  it('has working defaults', () => {
    const o = resolveOptions({});
    expect(o).toMatchObject({ url: 'ws://127.0.0.1:8080', users: 10, rate: 30, durationS: 10, pattern: 'circle', sink: false, legacy: false, seed: 1 });
    expect(o.slo).toBeUndefined();
  });

  it('reads every flag', () => {
    const o = resolveOptions({
      url: 'wss://example.test/ws',
      users: '2000',
      rate: '30',
      duration: '60',
      ramp: '5',
      pattern: 'burst',
      churn: '12',
      idleDelete: true,
      idleAfter: '3',
      sink: true,
      sinkToken: 'secret',
      batchHz: '30',
      report: 'r.json',
      html: 'r.html',
      slo: 'p99<50,delivery>=0.999',
      seed: '9',
    });
    expect(o).toMatchObject({ users: 2000, rampS: 5, pattern: 'burst', churnPerMin: 12, idleDelete: true, idleAfterS: 3, sinkToken: 'secret', batchHz: 30, seed: 9 });
    expect(o.slo?.map((t) => t.metric)).toEqual(['p99', 'delivery']);
  });

  it('replay has no default duration (the whole log) and takes --speed', () => {
    expect(resolveOptions({ replay: 'x.jsonl', speed: '2' })).toMatchObject({ durationS: undefined, speed: 2 });
  });

  it.each([
    [{ users: '0' }, /--users must be at least 1/],
    [{ users: '1.5' }, /--users must be an integer/],
    [{ rate: 'fast' }, /--rate must be a number/],
    [{ duration: '-1' }, /--duration must be at least/],
    [{ pattern: 'zigzag' }, /--pattern must be one of circle, random, still, burst/],
    [{ url: 'http://x' }, /--url must be a ws/],
    [{ sinkToken: 't' }, /--sink-token needs --sink/],
    [{ batchHz: '10' }, /--batch-hz needs --sink/],
    [{ sink: true, batchHz: '1000' }, /--batch-hz must be at most 240/],
    [{ sink: true, legacy: true, batchHz: '10' }, /--legacy .* no --batch-hz/],
    [{ speed: '2' }, /--speed applies to --replay/],
    [{ slo: 'p99<<5', sink: true }, /--slo: cannot read/],
    [{ slo: 'p99<50' }, /measured by the sink: add --sink/],
    [{ threads: '2', legacy: true }, /--threads works with the stamped format only/],
    [{ threads: '4', users: '2' }, /--threads 4 is more than --users 2/],
    [{ threads: '0' }, /--threads must be at least 1/],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveOptions(raw)).toThrow(OptionsError);
    expect(() => resolveOptions(raw)).toThrow(message);
  });

  it('allows SLO terms on the generator without a sink', () => {
    expect(resolveOptions({ slo: 'rate>=1000,lag<50' }).slo).toHaveLength(2);
  });
});
