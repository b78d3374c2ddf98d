/**
 * The access suite (test/reliability/access.test.ts) again, unchanged, against two relay instances sharing a real
 * Redis: its relays come from startClusterAsOne, so its sinks, phones and attackers alternate between the
 * instances, and every rule must hold across them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useQuietStarter } from '../helpers/relay.js';
import { hasRedisServer } from '../helpers/requirements.js';
import { startClusterAsOne } from './cluster.js';

if (hasRedisServer()) {
  let clusters = 0;
  useQuietStarter((options) => (clusters++, startClusterAsOne(options)));
  await import('../reliability/access.test.js');
  afterAll(() => {
    // the suite really ran on clusters (one per relay it started)
    expect(clusters).toBeGreaterThanOrEqual(7);
  });
} else {
  describe.skip('access rules on a 2-instance cluster (needs redis-server)', () => it('skipped', () => undefined));
}
