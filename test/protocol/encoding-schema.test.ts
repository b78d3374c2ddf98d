import { describe, expect, it } from 'vitest';
import { encodingFrame, helloFrame, indexedFrame, parse, relayDeleteFrame, connectFrame } from '../../src/protocol/index.js';

describe('f32-columns in the schema', () => {
  it('a hello may ask for f32-columns with batchHz, or say json', () => {
    const r = parse(helloFrame({ batchHz: 30, encoding: 'f32-columns' }), { origin: 'sink' });
    expect(r.ok && r.kind === 'hello' && r.message.encoding).toBe('f32-columns');
    expect(parse('{"type":"hello","role":"sink","batchHz":30,"encoding":"json"}', { origin: 'sink' }).ok).toBe(true);
  });

  it('f32-columns without batchHz is refused, naming batchHz', () => {
    const r = parse('{"type":"hello","role":"sink","encoding":"f32-columns"}', { origin: 'sink' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('schema');
      expect(r.message).toMatch(/batchHz/);
    }
  });

  it('an unknown encoding is refused clearly: the message lists the ones there are', () => {
    const r = parse('{"type":"hello","role":"sink","batchHz":30,"encoding":"f16-rows"}', { origin: 'sink' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('schema');
      expect(r.message).toBe('hello: /encoding must be one of "json", "f32-columns"');
    }
  });

  it('the acknowledgement is a relay → sink message, and nobody else may send it', () => {
    expect(encodingFrame()).toBe('{"type":"encoding","encoding":"f32-columns","version":1}');
    const r = parse(encodingFrame(), { origin: 'relay' });
    expect(r.ok && r.kind).toBe('encoding');
    expect(parse(encodingFrame(), { origin: 'controller' })).toMatchObject({ ok: false, reason: 'wrong_direction' });
    expect(parse('{"type":"encoding","encoding":"f32-columns","version":2}', { origin: 'relay' })).toMatchObject({ ok: false, reason: 'schema' });
  });

  it('join and leave frames carry the index after everything the JSON sinks get', () => {
    expect(indexedFrame(connectFrame(5), 3)).toBe('{"type":"connect","sliderId":5,"index":3}');
    expect(indexedFrame(relayDeleteFrame('a', 'closed'), 0)).toBe('{"type":"delete","sliderId":"a","reason":"closed","index":0}');
    expect(parse(indexedFrame(connectFrame(5), 3), { origin: 'relay' }).ok).toBe(true);
    expect(parse(indexedFrame(relayDeleteFrame('a', 'closed'), 65535), { origin: 'relay' }).ok).toBe(true);
    expect(parse(indexedFrame(relayDeleteFrame('a', 'closed'), 65536), { origin: 'relay' }).ok).toBe(false);
  });

  it('a phone may not send an index', () => {
    const r = parse('{"type":"connect","sliderId":5,"index":3}', { origin: 'controller' });
    expect(r).toMatchObject({ ok: false, reason: 'schema', path: '/index' });
  });
});
