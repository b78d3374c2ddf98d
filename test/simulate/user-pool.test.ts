/**
 * The crowd's pass budget: a pass over the users that runs out of time stops, and the next tick resumes where it
 * stopped, so a catch-up after a stall goes out in slices (the sink in the same process keeps reading between
 * them) without losing or repeating anyone's updates. Real sockets to a minimal forwarder on loopback.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { UserPool, type LedgerWriter, type PoolConfig } from '../../src/simulate/user-pool.js';
import { sleep } from '../helpers/wait.js';
import { startForwarder, type Forwarder } from './helpers/forwarder.js';

const USERS = 100;
const ID_BASE = 5000;

let fwd: Forwarder | undefined;
let pool: UserPool | undefined;
afterEach(async () => {
  await pool?.closeAll();
  await fwd?.close();
  pool = undefined;
  fwd = undefined;
});

/** A ledger that remembers which user (by user key) sent each update, in send order. */
function recorder(): LedgerWriter & { ids: string[] } {
  const ids: string[] = [];
  return { ids, own: () => undefined, setLive: () => undefined, sentUpdate: (key) => (ids.push(key), 0) };
}

async function connectedPool(passBudgetMs: number, ledger: LedgerWriter): Promise<UserPool> {
  fwd = await startForwarder();
  const config: PoolConfig = {
    targets: [{ url: fwd.url }], users: USERS, rate: 10, rampS: 0, pattern: 'circle', churnPerMin: 0, idleDelete: false, idleAfterS: 30,
    seed: 7, idBase: ID_BASE, legacy: false, tickMs: 5, passBudgetMs, ledger,
  };
  const p = new UserPool(config);
  pool = p;
  p.start(performance.now());
  const deadline = Date.now() + 20_000;
  while (p.connected < USERS) {
    if (Date.now() > deadline) throw new Error(`only ${p.connected} of ${USERS} users connected`);
    p.tick(performance.now());
    await sleep(5);
  }
  return p;
}

/** How many updates each user sent, by user index. */
function perUser(keys: string[]): number[] {
  const counts = new Array<number>(USERS).fill(0);
  for (const key of keys) counts[Number(key) - ID_BASE]!++;
  return counts;
}

describe('user pool: a pass over the crowd keeps to its time budget', () => {
  it('a pass out of time stops after a slice of users; the next ticks resume there until everyone has sent', async () => {
    const ledger = recorder();
    const p = await connectedPool(0, ledger);
    ledger.ids.length = 0;
    const before = { ...p.counters };
    // One second ahead: every user is ten updates behind and may catch up two (the per-tick cap).
    const t = performance.now() + 1000;
    p.tick(t);
    const first = new Set(ledger.ids);
    expect(first.size).toBe(32);
    expect(p.counters.ticksCut).toBe(before.ticksCut + 1);
    // The slice is consecutive users (wrapping around the end of the crowd).
    const idx = [...first].map((key) => Number(key) - ID_BASE);
    const start = idx[0]!;
    expect(idx.map((i) => (i - start + USERS) % USERS).sort((a, b) => a - b)).toEqual([...Array(32).keys()]);

    for (let k = 0; k < 3; k++) p.tick(t);
    const counts = perUser(ledger.ids);
    expect(counts.every((n) => n === 2)).toBe(true);
    // Nothing vanished: every update due in those passes was sent or counted as missed.
    const c = p.counters;
    expect(c.updatesSent - before.updatesSent).toBe(2 * USERS);
    expect(c.scheduled - before.scheduled).toBe(c.updatesSent - before.updatesSent + (c.missedLate - before.missedLate));
    expect(c.missedLate - before.missedLate).toBeGreaterThanOrEqual(7 * USERS);
  });

  it('with time to spare one pass serves the whole crowd', async () => {
    const ledger = recorder();
    const p = await connectedPool(60_000, ledger);
    ledger.ids.length = 0;
    const cutBefore = p.counters.ticksCut;
    p.tick(performance.now() + 1000);
    expect(perUser(ledger.ids).every((n) => n === 2)).toBe(true);
    expect(p.counters.ticksCut).toBe(cutBefore);
  });
});
