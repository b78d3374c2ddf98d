/** Model-based check of the id → row index bookkeeping: random streams of connects, updates and deletes
 * (ids colliding often, deletes from anywhere, batches, onStart resets) leave the table equal to a plain map. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, update, type Harness } from './harness.js';

type Op =
  | { kind: 'update'; id: number | string; x: number; y: number }
  | { kind: 'connect'; id: number | string }
  | { kind: 'delete'; id: number | string }
  | { kind: 'batch'; ops: Op[] };

const id = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom('a', 'b', 'c-1', 'Z_9'));
const simple: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('update' as const), id, x: fc.integer({ min: -170, max: 170 }), y: fc.integer({ min: -170, max: 170 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('connect' as const), id }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), id }) },
);
const op: fc.Arbitrary<Op> = fc.oneof({ weight: 9, arbitrary: simple }, { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), ops: fc.array(simple, { maxLength: 8 }) }) });

function toMessage(o: Op): unknown {
  if (o.kind === 'update') return update(o.id, o.x, o.y, 1, 2);
  if (o.kind === 'batch') return { type: 'batch', messages: o.ops.map(toMessage) };
  return { type: o.kind, sliderId: o.id };
}

function apply(model: Map<string, string[]>, o: Op): void {
  const key = String(o.kind === 'batch' ? '' : o.id);
  if (o.kind === 'update') model.set(key, [String(o.x), String(o.y), '1', '2']);
  else if (o.kind === 'connect') {
    if (!model.has(key)) model.set(key, ['0', '0', '0', '0']);
  } else if (o.kind === 'delete') model.delete(key);
  else for (const inner of o.ops) apply(model, inner);
}

describe.skipIf(!hasPython())('table bookkeeping against a model', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('matches a map after every one of 60 random streams', async () => {
    const streams = fc.sample(fc.array(op, { minLength: 1, maxLength: 120 }), { numRuns: 60, seed: 4242 });
    for (const stream of streams) {
      await h.emu.request('start'); // onStart: empty table, fresh state
      const model = new Map<string, string[]>();
      for (const o of stream) apply(model, o);
      await h.sendAll(stream.map(toMessage));
      const s = await h.state();
      expect(s.errors).toEqual([]);
      expect(s.stats?.reindexed).toBe(0); // the index stayed right on its own: no self-healing scans
      expect(Object.fromEntries(byUser(s.table))).toEqual(Object.fromEntries(model));
    }
  });
});
