/**
 * The generated Python against the protocol, as a property: every relay → sink frame `parse()` accepts (connect,
 * update with or without seq/t, delete with its reason, the broadcast relay's plain delete, batches of them) is
 * applied; the same frames with unknown extra properties are applied the same way (a new optional field must
 * never break a deployed script); a bad value in a field the script uses is refused and counted; nothing raises.
 * One emulator serves every run: each starts the project again (the Execute DAT's onStart empties the table and
 * resets the callbacks' state), then sends its frames in one request.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANGLE_MAX,
  DELETE_REASONS,
  ID_PATTERN,
  MAX_SAFE_ID,
  parse,
  PING,
  PONG,
  RIM,
  SPEED_MAX,
  userKey,
  type Origin,
  type SliderId,
} from '../../src/protocol/index.js';
import { hasPython } from '../helpers/requirements.js';
import { byUser, startHarness, type Harness } from './harness.js';

type Json = Record<string, unknown>;

/** A frame for the script, what parse() says of it, and its expected effect. */
type Op =
  | { kind: 'message'; msg: Json; extras: Json; bad: boolean }
  | { kind: 'batch'; items: Array<{ msg: Json; bad: boolean }>; extras: Json }
  | { kind: 'badBatch'; frame: Json }
  | { kind: 'ping' };

/** Properties the protocol defines anywhere: an extra property must be none of these. */
const KNOWN = new Set(['type', 'sliderId', 'x', 'y', 'speed', 'angle', 'seq', 't', 'reason', 'messages', 'resume', 'role', 'token', 'batchHz', 'code', 'message']);

// Few small ids, so users are created, moved, deleted and recreated; their decimal strings are the same users.
const smallId = fc.integer({ min: 0, max: 12 });
const id: fc.Arbitrary<SliderId> = fc.oneof(
  { weight: 4, arbitrary: smallId },
  { weight: 3, arbitrary: smallId.map(String) },
  { weight: 1, arbitrary: fc.constant(MAX_SAFE_ID) },
  { weight: 1, arbitrary: fc.stringMatching(new RegExp(ID_PATTERN)) },
);
const within = (min: number, max: number) => fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true }));
const updateMsg: fc.Arbitrary<Json> = fc.record(
  {
    type: fc.constant('update'),
    x: within(-RIM, RIM),
    y: within(-RIM, RIM),
    speed: within(0, SPEED_MAX),
    angle: within(0, ANGLE_MAX),
    sliderId: id,
    seq: fc.integer({ min: 0, max: MAX_SAFE_ID }),
    t: fc.double({ min: 0, max: 1e15, noNaN: true }),
  },
  { requiredKeys: ['x', 'y', 'speed', 'angle', 'sliderId'] },
);
/** The relay's connect: with the phone's hue (0-359), or without one as relays before hues sent it. */
const connectMsg = fc.record({ type: fc.constant('connect'), sliderId: id, hue: fc.integer({ min: 0, max: 359 }) }, { requiredKeys: ['type', 'sliderId'] });
const relayDeleteMsg = fc.record({ type: fc.constant('delete'), sliderId: id, reason: fc.constantFrom(...DELETE_REASONS) });
/** What a broadcast relay forwards from a phone. */
const plainDeleteMsg = id.map((sliderId) => ({ type: 'delete', sliderId }));
const batchItem = fc.oneof({ weight: 3, arbitrary: updateMsg }, connectMsg, relayDeleteMsg);

const extras: fc.Arbitrary<Json> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({}) },
  fc.dictionary(
    fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,12}$/).filter((k) => !KNOWN.has(k)),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 3 },
  ),
);

/** Values the script must refuse in each field it reads, and what parse() would say too. */
const badNumber = (min: number, max: number) =>
  fc.oneof(
    fc.double({ min: max, max: 1e300, noNaN: true, minExcluded: true }),
    fc.double({ min: -1e300, max: min, noNaN: true, maxExcluded: true }),
    fc.constantFrom<unknown>('1', '', true, false, null, [], {}, [1]),
  );
const badId = fc.oneof(
  fc.integer({ min: -1000, max: -1 }),
  fc.constantFrom<unknown>(2 ** 53, 1e20, 1.5, -0.5, '', 'a b', 'é', 'x'.repeat(65), '../x', true, null, [], {}),
);
const badField: fc.Arbitrary<[string, unknown]> = fc.oneof(
  badNumber(-RIM, RIM).map((v): [string, unknown] => ['x', v]),
  badNumber(-RIM, RIM).map((v): [string, unknown] => ['y', v]),
  badNumber(0, SPEED_MAX).map((v): [string, unknown] => ['speed', v]),
  badNumber(0, ANGLE_MAX).map((v): [string, unknown] => ['angle', v]),
  badId.map((v): [string, unknown] => ['sliderId', v]),
  fc.constantFrom<unknown>('move', 'Update', '', 5, null, ['update']).map((v): [string, unknown] => ['type', v]),
);
const MISSING = Symbol('missing');
/** A message with one field the script uses broken (or removed). */
const badMsg: fc.Arbitrary<Json> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: updateMsg }, connectMsg as fc.Arbitrary<Json>, relayDeleteMsg as fc.Arbitrary<Json>), fc.oneof({ weight: 6, arbitrary: badField }, fc.constant<[string, unknown]>(['sliderId', MISSING])))
  // Connects and deletes are judged by their id and type only: the knob fields are an update's.
  .filter(([m, [field]]) => m.type === undefined || m.type === 'update' || field === 'sliderId' || field === 'type')
  .map(([m, [field, value]]) => {
    const out: Json = { ...m };
    if (value === MISSING) delete out[field];
    else out[field] = value;
    return out;
  });

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('message' as const), msg: fc.oneof({ weight: 4, arbitrary: updateMsg }, connectMsg, relayDeleteMsg, plainDeleteMsg), extras, bad: fc.constant(false) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('message' as const), msg: badMsg, extras: fc.constant({}), bad: fc.constant(true) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      items: fc.array(fc.oneof({ weight: 5, arbitrary: batchItem.map((msg) => ({ msg, bad: false })) }, badMsg.map((msg) => ({ msg, bad: true }))), { maxLength: 8 }),
      extras,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({}, 'x', 1, null).map((messages) => ({ kind: 'badBatch' as const, frame: { type: 'batch', messages } })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'ping' as const }) },
);

/** The frame as the relay would send it. */
function text(o: Op): string {
  switch (o.kind) {
    case 'message':
      return JSON.stringify({ ...o.msg, ...o.extras });
    case 'batch':
      return JSON.stringify({ type: 'batch', messages: o.items.map((i) => i.msg), ...o.extras });
    case 'badBatch':
      return JSON.stringify(o.frame);
    case 'ping':
      return PING;
  }
}

/** Who may send the frame without its extras: the relay, or (plain delete) a phone through a broadcast relay. */
function sender(msg: Json): Origin {
  return msg.type === 'delete' && !('reason' in msg) ? 'controller' : 'relay';
}

/** The table as the protocol says a sink keeps it, and the script's counters. */
class Model {
  readonly rows = new Map<string, number[]>();
  received = 0;
  applied = 0;
  ignored = 0;
  pongs = 0;

  run(o: Op): void {
    if (o.kind === 'ping') {
      this.received++;
      this.applied++;
      this.pongs++;
    } else if (o.kind === 'badBatch') {
      this.received++;
      this.ignored++;
    } else if (o.kind === 'batch') {
      for (const item of o.items) this.message(item.msg, item.bad);
    } else {
      this.message(o.msg, o.bad);
    }
  }

  private message(m: Json, bad: boolean): void {
    this.received++;
    if (bad) {
      this.ignored++;
      return;
    }
    const key = userKey(m.sliderId as SliderId);
    if (m.type === 'connect') {
      if (!this.rows.has(key)) this.rows.set(key, [0, 0, 0, 0]);
    } else if (m.type === 'delete') {
      // Deleting a user the table does not have is counted, not applied (unknown_user).
      if (!this.rows.delete(key)) {
        this.ignored++;
        return;
      }
    } else {
      this.rows.set(key, [m.x, m.y, m.speed, m.angle] as number[]);
    }
    this.applied++;
  }
}

describe.skipIf(!hasPython())('generated Python vs parse(): relay → sink frames', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it('applies everything parse() accepts, ignores unknown properties, refuses and counts bad values, never raises', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), async (ops) => {
        // The generators keep their promise: valid frames parse, broken ones do not.
        for (const o of ops) {
          if (o.kind === 'message') expect(parse(JSON.stringify(o.msg), { origin: sender(o.msg) }).ok, JSON.stringify(o.msg)).toBe(!o.bad);
          if (o.kind === 'batch') {
            const plain = { type: 'batch', messages: o.items.map((i) => i.msg) };
            expect(parse(JSON.stringify(plain), { origin: 'relay' }).ok, JSON.stringify(plain)).toBe(o.items.every((i) => !i.bad));
          }
          if (o.kind === 'badBatch') expect(parse(JSON.stringify(o.frame), { origin: 'relay' }).ok).toBe(false);
        }
        const model = new Model();
        for (const o of ops) model.run(o);

        await h.emu.request('start');
        const before = await h.state(true);
        await h.emu.request('texts', { data: ops.map(text) });
        const s = await h.state();
        expect(s.errors).toEqual([]);
        const stats = s.stats!;
        const ignored = Object.values(stats.ignored).reduce((a, b) => a + b, 0) - Object.values(before.stats!.ignored).reduce((a, b) => a + b, 0);
        expect(stats.ignored.internal ?? 0).toBe(0);
        expect({ received: stats.received - before.stats!.received, applied: stats.applied - before.stats!.applied, ignored }).toEqual({
          received: model.received,
          applied: model.applied,
          ignored: model.ignored,
        });
        expect(s.outbox.filter((m) => m.kind === 'text' && m.data === PONG)).toHaveLength(model.pongs);
        const table = byUser(s.table);
        expect([...table.keys()].sort()).toEqual([...model.rows.keys()].sort());
        for (const [key, values] of model.rows) expect(table.get(key)!.map(Number), key).toEqual(values);
      }),
      { numRuns: 100, seed: 20261129 },
    );
  });
});
