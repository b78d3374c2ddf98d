/**
 * A worker of `relay --workers N`: the entry point node:cluster runs in each worker process (primary.ts forks
 * it). It waits for its options from the primary, runs the normal relay on the shared port with the hooks that
 * make it part of the machine (per-address places counted by the primary, machine-wide /healthz and /metrics,
 * operator lines marked with the worker), and closes in order when the primary says so or goes away.
 */
import { UserError } from '../../common/user-error.js';
import type { HttpRoutes } from '../http-routes.js';
import { startRelay, type RelayHandle } from '../relay.js';
import { WorkerAddressLeases } from './address-leases.js';
import type { WorkerHooks } from './hooks.js';
import { mergeHealthz, mergeMetrics } from './merge.js';
import { isOurs, type Gathered, type ToPrimary, type ToWorker, type WorkerReport } from './messages.js';

/** How long a request waits for the machine's answer before it gets this worker's own. */
const GATHER_TIMEOUT_MS = 4000;

function send(m: ToPrimary): void {
  // The channel is gone when the primary died: the disconnect handler below closes this worker.
  if (process.connected) process.send!(m, undefined, {}, () => undefined);
}

let relay: RelayHandle | undefined;
let local: HttpRoutes | undefined;
let closing: Promise<void> | undefined;
const leases = new WorkerAddressLeases(send);
let nextGather = 1;
const gathers = new Map<number, (reports: WorkerReport[] | undefined) => void>();
/** One gather per kind at a time: concurrent requests share it, so a flood of /metrics costs one round. */
const inFlight = new Map<Gathered, Promise<WorkerReport[] | undefined>>();

function gather(what: Gathered): Promise<WorkerReport[] | undefined> {
  let p = inFlight.get(what);
  if (p === undefined) {
    p = new Promise<WorkerReport[] | undefined>((resolve) => {
      const req = nextGather++;
      const timer = setTimeout(() => {
        gathers.delete(req);
        resolve(undefined);
      }, GATHER_TIMEOUT_MS);
      timer.unref();
      gathers.set(req, (reports) => {
        clearTimeout(timer);
        gathers.delete(req);
        resolve(reports);
      });
      send({ tdcrowd: 1, t: 'gather', req, what });
    }).finally(() => inFlight.delete(what));
    inFlight.set(what, p);
  }
  return p;
}

function hooks(id: number): WorkerHooks {
  const self = { worker: id, pid: process.pid };
  return {
    id,
    leases,
    write: (line) => process.stdout.write(`[w${id}] ${line}`),
    routes: (routes) => {
      local = routes;
      return {
        healthz: async () => {
          const reports = await gather('healthz');
          const own = await routes.healthz();
          // The primary did not answer: this worker's own view, said to be partial.
          if (reports === undefined) return { ...own, worker: self, workers: 'unavailable (the primary did not answer)' };
          return mergeHealthz(reports, self, own);
        },
        metrics: async () => {
          const reports = await gather('metrics');
          if (reports !== undefined) return mergeMetrics(reports);
          return mergeMetrics([{ ...self, body: `${await routes.metrics()}${leases.metricsText()}` }]);
        },
      };
    },
  };
}

async function report(req: number, what: Gathered): Promise<void> {
  let body: unknown;
  try {
    if (local !== undefined) body = what === 'healthz' ? await local.healthz() : `${await local.metrics()}${leases.metricsText()}`;
  } catch {
    body = undefined;
  }
  send({ tdcrowd: 1, t: 'report', req, body });
}

function close(code: number): void {
  closing ??= (async () => {
    await relay?.close().catch(() => undefined);
    process.exit(code);
  })();
}

async function start(id: number, options: Parameters<typeof startRelay>[0]): Promise<void> {
  try {
    relay = await startRelay(options, { worker: hooks(id) });
    send({ tdcrowd: 1, t: 'ready', port: relay.port });
  } catch (err) {
    if (!(err instanceof UserError)) {
      process.stderr.write(`tdcrowd relay: worker ${id}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    }
    // Exit once the message is on its way (the primary prints it once, for the machine).
    const fatal: ToPrimary = { tdcrowd: 1, t: 'fatal', message: err.message };
    if (process.connected) process.send!(fatal, undefined, {}, () => process.exit(2));
    else process.exit(2);
  }
}

process.on('message', (m: unknown) => {
  if (!isOurs<ToWorker>(m)) return;
  switch (m.t) {
    case 'start':
      void start(m.worker, m.options);
      return;
    case 'report':
      void report(m.req, m.what);
      return;
    case 'gathered':
      gathers.get(m.req)?.(m.reports);
      return;
    case 'lease':
      leases.answer(m);
      return;
    case 'shutdown':
      close(0);
      return;
  }
});
// The primary went away (killed): no one restarts or counts for this worker any more.
process.on('disconnect', () => close(0));
// Ctrl-C reaches every process of the terminal's group: the primary closes the workers in order.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => close(0));
send({ tdcrowd: 1, t: 'up' });
