import { describe, expect, it } from 'vitest';
import { FrameCoalescer } from '../../src/web/client/frame.js';

function fakeFrames(): { request: (cb: () => void) => void; tick: () => void; pending: () => number } {
  let queue: Array<() => void> = [];
  return {
    request: (cb) => {
      queue.push(cb);
    },
    tick: () => {
      const q = queue;
      queue = [];
      for (const cb of q) cb();
    },
    pending: () => queue.length,
  };
}

describe('frame coalescing', () => {
  it('flushes only the latest value, once per frame', () => {
    const frames = fakeFrames();
    const sent: number[] = [];
    const c = new FrameCoalescer<number>(frames.request, (v) => sent.push(v));
    for (let i = 1; i <= 10; i++) c.push(i);
    expect(frames.pending()).toBe(1);
    expect(sent).toEqual([]);
    frames.tick();
    expect(sent).toEqual([10]);
    c.push(11);
    c.push(12);
    frames.tick();
    expect(sent).toEqual([10, 12]);
  });

  it('requests no frame while idle', () => {
    const frames = fakeFrames();
    const sent: number[] = [];
    const c = new FrameCoalescer<number>(frames.request, (v) => sent.push(v));
    frames.tick();
    expect(frames.pending()).toBe(0);
    c.push(1);
    frames.tick();
    frames.tick();
    expect(sent).toEqual([1]);
    expect(c.hasPending).toBe(false);
  });

  it('a value pushed during a flush waits for the next frame', () => {
    const frames = fakeFrames();
    const sent: number[] = [];
    const c: FrameCoalescer<number> = new FrameCoalescer<number>(frames.request, (v) => {
      sent.push(v);
      if (v === 1) c.push(2);
    });
    c.push(1);
    frames.tick();
    expect(sent).toEqual([1]);
    frames.tick();
    expect(sent).toEqual([1, 2]);
  });

  it('flushNow sends the pending value at once, and the scheduled frame then sends nothing', () => {
    const frames = fakeFrames();
    const sent: number[] = [];
    const c = new FrameCoalescer<number>(frames.request, (v) => sent.push(v));
    c.flushNow();
    expect(sent).toEqual([]);
    c.push(1);
    c.push(2);
    c.flushNow();
    expect(sent).toEqual([2]);
    frames.tick();
    expect(sent).toEqual([2]);
    c.push(3);
    frames.tick();
    expect(sent).toEqual([2, 3]);
  });

  it('on a 120 Hz display sends every other frame (about 60 per second), and never loses the last value', () => {
    const frames = fakeFrames();
    let now = 0;
    const sent: number[] = [];
    const c = new FrameCoalescer<number>(frames.request, (v) => sent.push(v), { minIntervalMs: 15, now: () => now });
    // 120 frames of 8.33 ms, a new pointer position before each.
    for (let i = 0; i < 120; i++) {
      c.push(i);
      now += 1000 / 120;
      frames.tick();
    }
    expect(sent.length).toBeGreaterThanOrEqual(59);
    expect(sent.length).toBeLessThanOrEqual(61);
    // The release arrives between two allowed frames: it is deferred, not dropped.
    c.push(-1);
    now += 1000 / 120;
    frames.tick();
    now += 1000 / 120;
    frames.tick();
    expect(sent.at(-1)).toBe(-1);
    expect(frames.pending()).toBe(0);
  });

  it('on a 60 Hz display with early-jittering frames still sends every frame', () => {
    const frames = fakeFrames();
    let now = 0;
    const sent: number[] = [];
    const c = new FrameCoalescer<number>(frames.request, (v) => sent.push(v), { minIntervalMs: 15, now: () => now });
    for (let i = 0; i < 60; i++) {
      c.push(i);
      now += i % 2 ? 15.2 : 18.1;
      frames.tick();
    }
    expect(sent).toHaveLength(60);
  });
});
