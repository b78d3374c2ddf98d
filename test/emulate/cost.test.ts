/** README, "Benchmarks": per-message cost independent of the number of users, on counted table operations. */
import { describe, expect, it } from 'vitest';
import { hasPython } from '../helpers/requirements.js';
import { EmulatorProcess } from '../../src/emulate/process.js';
import { AUDIT_EVERY, byUser, startHarness, update } from './harness.js';

type Costs = Record<string, number>[];

async function measure(users: number): Promise<{ costs: Costs; prune: Record<string, number>; size: number }> {
  const h = await startHarness();
  try {
    await h.sendAll(Array.from({ length: users }, (_, i) => update(i, 1, 1, 1, 1)));
    // The callbacks check one row against their index every AUDIT_EVERY text frames (a constant cost): the
    // probes start at the same point of that cycle at every table size, so their counts compare exactly.
    await h.sendAll(Array.from({ length: (AUDIT_EVERY - (users % AUDIT_EVERY)) % AUDIT_EVERY }, () => 'pong'));
    const mid = Math.floor(users / 2);
    const probes = [
      update(mid, 5, 5, 5, 5), // update an existing user in the middle
      update(0, 6, 6, 6, 6), // the first
      update(users - 1, 7, 7, 7, 7), // the last
      update('newcomer', 1, 2, 3, 4), // a new user (append)
      { type: 'connect', sliderId: mid }, // connect of a known user
      { type: 'delete', sliderId: mid }, // delete in the middle (last row moves into the hole)
      { type: 'delete', sliderId: 'newcomer' }, // delete the last row
      { type: 'delete', sliderId: 1 }, // delete near the top
      { type: 'batch', messages: [update(2, 1, 1, 1, 1), update(3, 1, 1, 1, 1)] },
    ].map((m) => JSON.stringify(m));
    const { costs } = await h.emu.request<{ costs: Costs }>('cost', { data: probes });
    // pruning: three users fall silent while everyone else keeps talking
    await h.emu.request('advance', { seconds: 1 });
    await h.sendAll([update(2), update(3), update(4)].map((m) => JSON.stringify(m)));
    await h.emu.request('advance', { seconds: 5 });
    const others = Array.from({ length: users }, (_, i) => i).filter((i) => ![1, 2, 3, 4, mid].includes(i));
    await h.sendAll(others.map((i) => update(i, 1, 1, 1, 1)));
    await h.emu.request('advance', { seconds: 4.9 });
    await h.emu.request('ops_reset');
    await h.emu.request('advance', { seconds: 0.5 });
    const s = await h.state();
    expect(s.errors).toEqual([]);
    const table = byUser(s.table);
    expect(table.has('2') || table.has('3') || table.has('4')).toBe(false);
    return { costs, prune: s.ops, size: table.size };
  } finally {
    await h.close();
  }
}

describe.skipIf(!hasPython())('per-message cost', () => {
  it('is the same counted operations at 10 and at 2000 users, for updates, appends, deletes, batches and pruning', async () => {
    expect(AUDIT_EVERY).toBeGreaterThan(1);
    const small = await measure(10);
    const large = await measure(2000);
    expect(large.size).toBe(2000 - 5); // mid and 1 deleted, 2, 3, 4 pruned
    expect(small.size).toBe(10 - 5);
    expect(large.costs).toEqual(small.costs);
    expect(large.prune).toEqual(small.prune);
    // and the counts are small constants: no label scans, no rows shifted by deletes
    for (const c of [...large.costs, large.prune]) {
      expect(c.label_scan ?? 0).toBe(0);
      expect(c.rows_shifted ?? 0).toBe(0);
    }
    expect(large.prune.row_delete).toBe(3);
    const total = (c: Record<string, number> | undefined): number => Object.values(c ?? {}).reduce((a, b) => a + b, 0);
    expect(total(large.costs[0])).toBeLessThanOrEqual(6); // an update of a known user: one row replace (1) writing five cells (5), nothing read
  });

  it("the same measurement sees the tutorial's per-message scan grow with the users (control)", async () => {
    const scanCost = async (users: number): Promise<number> => {
      const emu = new EmulatorProcess();
      try {
        await emu.request('load', { preset: 'tutorial' });
        await emu.request('step');
        await emu.request('texts', { data: Array.from({ length: users }, (_, i) => JSON.stringify(update(i))) });
        const { costs } = await emu.request<{ costs: Costs }>('cost', { data: [JSON.stringify(update(Math.floor(users / 2), 1, 1, 1, 1))] });
        expect((await emu.state()).errors).toEqual([]);
        return Object.values(costs[0] ?? {}).reduce((a, b) => a + b, 0);
      } finally {
        await emu.close();
      }
    };
    const [small, large] = [await scanCost(10), await scanCost(2000)];
    expect(large).toBeGreaterThan(1000); // at least one counted operation per row scanned up to the middle
    expect(large).toBeGreaterThan(20 * small);
  });
});
