/**
 * A relay `--log` of any honest session validates clean: the validator judges a log by the rules the relay
 * applied (src/protocol), so nothing the relay accepted from well-behaved clients can be a violation. Real relay,
 * real sockets; honest sessions are generated (phones speaking for their own id in either of its forms, idle
 * deletes and returns, take-overs with the resume token, sinks with and without batches, keep-alives).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  connectFrame,
  deleteFrame,
  helloFrame,
  ID_PATTERN,
  MAX_SAFE_ID,
  PING,
  PONG,
  updateFrame,
  userKey,
  type SliderId,
} from '../../src/protocol/index.js';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { validateFiles } from '../../src/validate/index.js';
import { Peer } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { scratch } from './helpers.js';
import { CLI } from '../helpers/paths.js';


let tmp: ReturnType<typeof scratch>;
beforeAll(() => {
  tmp = scratch();
});
afterAll(() => tmp?.cleanup());

/**
 * A well-behaved client (a test-kit Peer): answers the relay's text ping, and counts every frame it sends so the
 * test knows when the relay has read them all.
 */
class Honest {
  /** Replaced by a newer socket: a phone that slept says nothing more on the old one. */
  retired = false;

  private constructor(
    readonly peer: Peer,
    private readonly counter: { sent: number },
  ) {
    peer.onText = (text) => {
      if (text === PING) this.send(PONG);
    };
  }

  static async open(url: string, counter: { sent: number }): Promise<Honest> {
    return new Honest(await Peer.open(url), counter);
  }

  send(text: string): void {
    if (this.retired || this.peer.ws.readyState !== WebSocket.OPEN) return;
    this.peer.send(text);
    this.counter.sent++;
  }

  close(): void {
    this.peer.close();
  }

  /** Claims `id` and returns the resume token from the welcome. */
  async claim(id: SliderId, resume?: string): Promise<string> {
    const before = this.peer.messages.length;
    this.send(connectFrame(id, resume));
    const w = await until(() => this.peer.messages.slice(before).find((m) => m.type === 'welcome'), `welcome for ${JSON.stringify(id)}`);
    return String(w.resume);
  }
}

describe('a relay log of an honest session validates clean', () => {
  it('connect 5 then update "5": one user for the relay, and for the validator (tdcrowd validate exits 0)', async () => {
    const log = join(tmp.dir, 'five.jsonl');
    const relay = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, log });
    const counter = { sent: 0 };
    const sink = await Honest.open(relay.url, counter);
    sink.send(helloFrame());
    await until(() => relay.metrics().connections.sink === 1, 'the sink');
    const phone = await Honest.open(relay.url, counter);
    await phone.claim(5);
    phone.send(updateFrame({ x: 10, y: -20, speed: 13.2, angle: 63.4, sliderId: '5' }));
    phone.send(deleteFrame('5'));
    await until(() => sink.peer.messages.some((m) => m.type === 'delete'), 'the delete at the sink');
    expect(relay.metrics().dropped).toEqual(Object.fromEntries(Object.keys(relay.metrics().dropped).map((k) => [k, 0])));
    await relay.close();

    const r = spawnSync(process.execPath, [CLI, 'validate', '--strict', log], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout + r.stderr).not.toMatch(/id_mismatch/);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/0 errors, 0 warnings/);
  });

  // The same user in either form: an integer and the decimal string of it.
  const forms = (id: SliderId): SliderId[] => {
    if (typeof id === 'number') return [id, String(id)];
    const n = Number(id);
    return /^[0-9]+$/.test(id) && n <= MAX_SAFE_ID && String(n) === id ? [id, n] : [id];
  };
  const id: fc.Arbitrary<SliderId> = fc.oneof(
    fc.integer({ min: 0, max: 999 }),
    fc.integer({ min: 0, max: 999 }).map(String),
    fc.constant(MAX_SAFE_ID),
    fc.stringMatching(new RegExp(ID_PATTERN)),
  );
  type Action =
    | { phone: number; kind: 'update'; form: number; x: number; y: number }
    | { phone: number; kind: 'delete' | 'pong' | 'takeOver' | 'rejoin' }
    | { kind: 'sink'; batchHz: number | undefined };
  const action: fc.Arbitrary<Action> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ phone: fc.nat(), kind: fc.constant('update' as const), form: fc.nat(1), x: fc.integer({ min: -170, max: 170 }), y: fc.integer({ min: -170, max: 170 }) }) },
    { weight: 2, arbitrary: fc.record({ phone: fc.nat(), kind: fc.constantFrom('delete' as const, 'pong' as const, 'takeOver' as const, 'rejoin' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sink' as const), batchHz: fc.option(fc.constantFrom(20, 50), { nil: undefined }) }) },
  );

  it('any honest session (generated): --strict finds nothing', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(id, { selector: userKey, minLength: 1, maxLength: 4 }), fc.array(action, { maxLength: 40 }), async (ids, actions) => {
        const log = join(tmp.dir, `session-${run++}.jsonl`);
        const relay: RelayHandle = await startRelay({ port: 0, host: '127.0.0.1', quiet: true, log, textPingMs: 20 });
        const counter = { sent: 0 };
        // Every frame sent so far has been through the relay.
        const settle = async (): Promise<void> => {
          await until(() => relay.metrics().messagesIn >= counter.sent, 'the relay to read every frame');
        };
        try {
          const sink = await Honest.open(relay.url, counter);
          sink.send(helloFrame());
          const phones = await Promise.all(
            ids.map(async (sliderId) => {
              const peer = await Honest.open(relay.url, counter);
              return { sliderId, peer, resume: await peer.claim(sliderId), present: true };
            }),
          );
          for (const a of actions) {
            if (a.kind === 'sink') {
              (await Honest.open(relay.url, counter)).send(helloFrame({ batchHz: a.batchHz }));
              continue;
            }
            const p = phones[a.phone % phones.length]!;
            if (a.kind === 'update') {
              const all = forms(p.sliderId);
              const speed = Math.min(100, (Math.hypot(a.x, a.y) / 170) * 100);
              const angle = ((Math.atan2(-a.y, a.x) * 180) / Math.PI + 360) % 360;
              // Back from an idle delete, the page connects again first.
              if (!p.present) p.peer.send(connectFrame(p.sliderId, p.resume));
              p.present = true;
              p.peer.send(updateFrame({ x: a.x, y: a.y, speed, angle, sliderId: all[a.form % all.length]! }));
            } else if (a.kind === 'delete') {
              if (p.present) p.peer.send(deleteFrame(forms(p.sliderId).at(-1)!));
              p.present = false;
            } else if (a.kind === 'pong') {
              p.peer.send(PONG);
            } else if (a.kind === 'takeOver') {
              // A phone that slept: a new socket takes the id over with the token while the old one is still open
              // (the old one says nothing more; the relay closes it with 4000).
              await settle();
              p.peer.retired = true;
              const peer = await Honest.open(relay.url, counter);
              p.resume = await peer.claim(p.sliderId, p.resume);
              p.peer = peer;
              p.present = true;
            } else {
              // A tab closed and opened again: the id is free once the old socket is gone.
              await settle();
              const gone = relay.metrics().users - (p.present ? 1 : 0);
              p.peer.close();
              await until(() => relay.metrics().users === gone, 'the old socket to be gone');
              p.peer = await Honest.open(relay.url, counter);
              p.resume = await p.peer.claim(p.sliderId);
              p.present = true;
            }
          }
          await settle();
          const dropped = relay.metrics().dropped;
          expect(Object.values(dropped).reduce((a, b) => a + b, 0), JSON.stringify(dropped)).toBe(0);
        } finally {
          await relay.close();
        }
        const report = await validateFiles([log], { strict: true });
        expect(report.violations).toEqual([]);
        expect(report.exitCode).toBe(0);
      }),
      { numRuns: 30, seed: 20261129 },
    );
  }, 60_000);
});
