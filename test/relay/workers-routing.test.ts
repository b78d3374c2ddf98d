/**
 * `relay --workers 2 --redis URL`: the workers are one relay. A phone whose connection went to one worker
 * reaches a sink whose connection went to the other, through Redis (needs the --redis routing of issue 12,
 * part 1). Real processes, a real redis-server.
 */
import { describe, expect, it } from 'vitest';
import { hasRedisServer } from '../helpers/requirements.js';
import { Peer } from '../helpers/peers.js';
import { until } from '../helpers/wait.js';
import { keep, phone, startMachine, useWorkerMachines, type Health } from '../helpers/workers.js';

useWorkerMachines();

/** The worker whose count of `role` went up from `before` to `after` (undefined when none or several). */
function gained(before: Health, after: Health, role: 'controller' | 'sink'): number | undefined {
  const up = after.workers.filter((w) => (w.connections?.[role] ?? 0) > (before.workers.find((b) => b.worker === w.worker)?.connections?.[role] ?? 0));
  return up.length === 1 ? up[0]!.worker : undefined;
}

describe.skipIf(!hasRedisServer())('relay --workers: routing between workers', () => {
  it('a phone on one worker reaches a sink on the other (connect, updates, delete), and /healthz is ok on both', async () => {
    const m = await startMachine();
    // Polled over one kept-alive connection: the sink and the phones are then the only new connections, and
    // they alternate between the workers.
    const before = await m.healthSameConnection();
    const sink = keep(await Peer.open(m.url));
    sink.send({ type: 'hello', role: 'sink' });
    const withSink = await until(async () => {
      const x = await m.healthSameConnection();
      return x.sinks.websocket === 1 ? x : undefined;
    }, 'the sink to be admitted');
    const sinkWorker = gained(before, withSink, 'sink')!;
    expect(sinkWorker).toBeDefined();

    // Phones until one lands on the other worker (connections alternate, so the first or second does).
    let remote: { peer: Peer; id: string } | undefined;
    let last = withSink;
    for (let i = 0; i < 4 && remote === undefined; i++) {
      const id = `far-${i}`;
      const p = await phone(m.url, id, `127.0.4.${i + 1}`);
      expect(p.answer).toBe('welcome');
      const now = await until(async () => {
        const x = await m.healthSameConnection();
        return x.connections.controller === i + 1 ? x : undefined;
      }, `phone ${id} on the machine`);
      if (gained(last, now, 'controller') !== sinkWorker) remote = { peer: p.peer, id };
      last = now;
    }
    expect(remote).toBeDefined();
    const { peer, id } = remote!;
    // The worker without the sink knows one is listening somewhere in the relay.
    expect(last.workers.every((w) => w.answered && w.status === 'ok')).toBe(true);
    expect(peer.ofType('status').filter((s) => s.listening === false)).toEqual([]);

    peer.send({ sliderId: id, x: 12, y: -34, speed: 0.5, angle: 90 });
    await sink.waitForMessage((x) => x.type === 'connect' && x.sliderId === id, `connect of ${id} at the sink`);
    const u = await sink.waitForMessage((x) => (x.type ?? 'update') === 'update' && x.sliderId === id && x.x === 12, `update of ${id} at the sink`);
    expect(u).toMatchObject({ x: 12, y: -34, speed: 0.5, angle: 90 });
    peer.send({ type: 'delete', sliderId: id });
    await sink.waitForMessage((x) => x.type === 'delete' && x.sliderId === id, `delete of ${id} at the sink`);
  });
});
