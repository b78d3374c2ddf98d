/**
 * One run of phones for the f32-columns tests and fixtures: ids of both kinds (integers and strings), updates
 * with seq and t and fractional values (so float32 rounding shows), users who delete themselves and come back,
 * sockets that close, and newcomers after the leaves (so freed indices are reused). Returns what every sink
 * should show at the end: the latest update of each present user.
 */
import type { RelayHandle } from '../../src/relay/index.js';
import { type Json, update } from './messages.js';
import { claim, type Peer } from './peers.js';
import { sleep } from './wait.js';

export interface CrowdRun {
  /** By user key: the last update each present user sent. */
  truth: Map<string, Json>;
  phones: Peer[];
}

export interface CrowdOptions {
  phones?: number;
  /** Update rounds before and after the leaves. */
  rounds?: number;
  /** Between rounds. */
  stepMs?: number;
  /** Called between the two halves with the keys of the users present then (e.g. to connect a late sink). */
  midway?: (present: string[]) => Promise<void>;
}

const idOf = (i: number): number | string => (i % 2 === 0 ? 1000 + i : `p${i}`);

export async function crowdRun(relay: RelayHandle, options: CrowdOptions = {}): Promise<CrowdRun> {
  const count = options.phones ?? 24;
  const rounds = options.rounds ?? 15;
  const stepMs = options.stepMs ?? 30;
  const truth = new Map<string, Json>();
  const seqs = new Map<string, number>();
  const phones = new Map<number, Peer>();
  const present = new Set<number>();
  const send = (i: number, step: number): void => {
    const id = idOf(i);
    const seq = seqs.get(String(id)) ?? 0;
    seqs.set(String(id), seq + 1);
    const x = Math.round((((step * 7.31 + i * 13.7) % 340) - 170) * 1000) / 1000;
    const y = Math.round((((step * 3.77 + i * 5.1) % 340) - 170) * 1000) / 1000;
    const m = update(id, x, y, { seq, t: Date.now() + 0.25 });
    phones.get(i)!.send(m);
    truth.set(String(id), m);
    present.add(i);
  };
  const round = async (step: number): Promise<void> => {
    for (const i of phones.keys()) if (present.has(i) || step === 0) send(i, step);
    await sleep(stepMs);
  };

  for (let i = 0; i < count; i++) phones.set(i, await claim(relay, idOf(i)));
  for (let step = 0; step < rounds; step++) await round(step);

  // Leaves: the first six delete themselves (the page's 10 s idle), the next three lose their socket.
  for (let i = 0; i < 6; i++) {
    phones.get(i)!.send({ type: 'delete', sliderId: idOf(i) });
    truth.delete(String(idOf(i)));
    present.delete(i);
  }
  for (let i = 6; i < 9; i++) {
    phones.get(i)!.close();
    phones.delete(i);
    truth.delete(String(idOf(i)));
    present.delete(i);
  }
  await sleep(stepMs * 3);
  await options.midway?.([...truth.keys()]);
  // Newcomers take the freed indices; three of the six who deleted themselves come back by moving.
  for (let i = count; i < count + 5; i++) {
    phones.set(i, await claim(relay, idOf(i)));
    send(i, 0);
  }
  for (let i = 0; i < 3; i++) send(i, 0);
  for (let step = rounds; step < 2 * rounds; step++) await round(step);
  return { truth, phones: [...phones.values()] };
}
