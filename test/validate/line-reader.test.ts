import { describe, expect, it } from 'vitest';
import { readLines, type Line } from '../../src/validate/line-reader.js';

async function collect(chunks: Array<Buffer | string>, maxLineBytes = 1024): Promise<Line[]> {
  const out: Line[] = [];
  for await (const line of readLines((async function* () { yield* chunks; })(), maxLineBytes)) out.push(line);
  return out;
}

/** Splits a buffer into chunks of n bytes, to put chunk boundaries everywhere, inside characters too. */
const chop = (b: Buffer, n: number): Buffer[] => Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, (i + 1) * n));

describe('readLines', () => {
  it('splits on LF and CRLF, keeps blank lines, needs no final newline', async () => {
    expect(await collect(['a\r\nb\n\nc'])).toEqual([
      { number: 1, text: 'a' },
      { number: 2, text: 'b' },
      { number: 3, text: '' },
      { number: 4, text: 'c' },
    ]);
    expect(await collect(['a\n'])).toEqual([{ number: 1, text: 'a' }]);
    expect(await collect([])).toEqual([]);
  });

  it('skips a UTF-8 byte order mark', async () => {
    expect(await collect([Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a])])).toEqual([{ number: 1, text: 'a' }]);
  });

  it.each([1, 2, 3, 5, 7])('reassembles multi-byte characters split across %i-byte chunks', async (n) => {
    const text = 'héllo €uro 😀\n{"sliderId":"ß"}\nlast';
    expect((await collect(chop(Buffer.from(text), n))).map((l) => ('text' in l ? l.text : l.problem))).toEqual(text.split('\n'));
  });

  it('flags a line that is not UTF-8 without stopping', async () => {
    expect(await collect([Buffer.from([0x61, 0x0a, 0xc3, 0x28, 0x0a, 0x62])])).toEqual([
      { number: 1, text: 'a' },
      { number: 2, problem: 'not_utf8' },
      { number: 3, text: 'b' },
    ]);
  });

  it('a line over the limit is counted, not kept, in one chunk or many', async () => {
    const long = Buffer.from(`${'x'.repeat(10_000)}\nok\n`);
    for (const chunks of [[long], chop(long, 100)]) {
      expect(await collect(chunks, 1000)).toEqual([
        { number: 1, problem: 'too_long', bytes: 10_000 },
        { number: 2, text: 'ok' },
      ]);
    }
  });

  it('a line exactly at the limit, with CRLF, is still a line', async () => {
    const line = 'y'.repeat(1000);
    expect(await collect(chop(Buffer.from(`${line}\r\n`), 64), 1000)).toEqual([{ number: 1, text: line }]);
  });

  it('streams: lines come out while the input is still being produced', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        produced += 1;
        yield Buffer.from('{"type":"connect","sliderId":1}\n'.repeat(100));
      }
    }
    let seen = 0;
    for await (const line of readLines(endless(), 1024)) {
      expect(line).toMatchObject({ text: '{"type":"connect","sliderId":1}' });
      if (++seen === 10_000) break;
    }
    // 10 000 lines took 100 chunks: nothing was read ahead beyond what the lines needed.
    expect(produced).toBe(100);
  });
});
