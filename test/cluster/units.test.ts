/** The pieces of relay --redis that need no server: the --redis URL and its redaction, the bus message format. */
import { describe, expect, it } from 'vitest';
import { decode, encodeLine, header } from '../../src/relay/cluster/bus-codec.js';
import { redisTarget, redisUrlProblem, scrubSecrets } from '../../src/relay/cluster/redis-url.js';
import { resolveOptions } from '../../src/relay/index.js';

describe('--redis URL', () => {
  it('accepts redis:// and rediss:// with user, password and database; shows none of the credentials', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://redis', 'rediss://:p%40ss@cache.example.org:6380/2', 'redis://default:pw@10.0.0.5:6379/0']) {
      expect(redisUrlProblem(url), url).toBeUndefined();
    }
    expect(redisTarget('redis://redis')).toMatchObject({ label: 'redis://redis:6379', tls: false });
    const t = redisTarget('rediss://admin:s3cr%40t-pass@cache.example.org:6380/2');
    expect(t).toMatchObject({ label: 'rediss://cache.example.org:6380/2', tls: true });
    const leaked = `connect to rediss://admin:s3cr%40t-pass@cache.example.org:6380/2 failed: NOAUTH s3cr@t-pass s3cr%40t-pass`;
    const scrubbed = scrubSecrets(leaked, t);
    expect(scrubbed).not.toMatch(/s3cr/);
    expect(scrubbed).toContain('rediss://cache.example.org:6380/2');
    // a % that is no escape neither breaks the scrubbing nor survives it
    const odd = redisTarget('redis://:50%zz@h:1');
    expect(scrubSecrets('NOAUTH 50%zz', odd)).toBe('NOAUTH ***');
  });

  it('refuses other schemes, hostless URLs and non-numeric databases, naming the flag and not the password', () => {
    expect(redisUrlProblem('http://127.0.0.1:6379')).toMatch(/^--redis must start with redis:\/\/ or rediss:\/\//);
    expect(redisUrlProblem('redis://127.0.0.1:6379/abc')).toMatch(/database number/);
    const bad = redisUrlProblem('redis//:hunter2@host');
    expect(bad).toMatch(/^--redis must be a URL/);
    expect(bad).not.toContain('hunter2');
    expect(() => resolveOptions({ redis: 'ftp://x' })).toThrow(/--redis/);
    expect(resolveOptions({ redis: 'redis://127.0.0.1:6379' }).redis).toBe('redis://127.0.0.1:6379');
  });
});

describe('bus messages', () => {
  it('carry frames as they are, in order, with notices and a full state', () => {
    const upd = JSON.stringify({ x: 1, y: -2, speed: 3, angle: 4, sliderId: 'a-b_c' });
    const text =
      header('host-12-abcdef') +
      encodeLine('c', 'a-b_c', '{"type":"connect","sliderId":"a-b_c"}') +
      encodeLine('u', 'a-b_c', upd) +
      encodeLine('t', '7', 'other-1-000000') +
      encodeLine('s', '', '2 5') +
      encodeLine('q', '', '') +
      encodeLine('B', '', '') +
      encodeLine('F', '7', '{"type":"connect","sliderId":7}', '') +
      encodeLine('E', '', '') +
      encodeLine('d', '7', '{"type":"delete","sliderId":7,"reason":"closed"}');
    const { from, lines } = decode(text);
    expect(from).toBe('host-12-abcdef');
    expect(lines).toEqual([
      { op: 'c', key: 'a-b_c', text: '{"type":"connect","sliderId":"a-b_c"}' },
      { op: 'u', key: 'a-b_c', text: upd },
      { op: 't', key: '7', from: 'other-1-000000' },
      { op: 's', sinks: 2, seq: 5 },
      { op: 'q' },
      { op: 'B' },
      { op: 'F', key: '7', connectText: '{"type":"connect","sliderId":7}', updateText: undefined },
      { op: 'E' },
      { op: 'd', key: '7', text: '{"type":"delete","sliderId":7,"reason":"closed"}' },
    ]);
  });

  it('skip what they do not understand (a foreign publisher on the channel)', () => {
    expect(decode('x\nnonsense\nz\t\n\n?\ta\tb\nu\tk\t{}\n').lines).toEqual([{ op: 'u', key: 'k', text: '{}' }]);
    expect(decode('').lines).toEqual([]);
  });
});
