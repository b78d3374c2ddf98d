/**
 * The admission phase: the measuring sink connects, says hello and is proven served before any measured update
 * is sent (admission-probe.ts). Without --sink there is nothing to admit.
 *
 * With several relay instances, the proof is on the sink's own instance; every other instance then gets a probe
 * of its own, given a short while to reach the sink. An instance whose probe never arrives does not fail the
 * run (two relays that share nothing are a set-up worth measuring too): the report names it, and its phones'
 * updates count as lost.
 */
import { randomBytes } from 'node:crypto';
import { userKey } from '../protocol/index.js';
import { probeAdmission } from './admission-probe.js';
import { AdmissionError } from './errors.js';
import { MeasuringSink, type SinkConfig } from './measuring-sink.js';
import type { SimulateOptions } from './options.js';
import type { SentLedger } from './sent-ledger.js';

/** How long another instance's probe may take to reach the sink (a cluster's fan-out is milliseconds). */
const INSTANCE_PROBE_MS = 3000;

export interface AdmittedSink {
  sink: MeasuringSink;
  /** Instances (URLs) whose probe never reached the sink. */
  unreached: string[];
}

/** The admitted sink, or undefined without --sink; throws AdmissionError when the relay never serves it. */
export async function admitSink(o: SimulateOptions, ledger: SentLedger, instances?: SinkConfig['instances']): Promise<AdmittedSink | undefined> {
  if (!o.sink) return undefined;
  // Unique per run: a replayed log may contain an earlier run's probe, which must not be mistaken for this one.
  const run = randomBytes(6).toString('hex');
  const probeId = `tdcrowd-probe-${run}`;
  let seenProbe!: () => void;
  const seen = new Promise<void>((resolve) => (seenProbe = resolve));
  const others = o.urls.filter((u) => u !== o.sinkUrl).map((url, i) => ({ url, id: `tdcrowd-probe-${run}-${i + 1}`, seen: undefined as Promise<void> | undefined }));
  const instanceProbes = new Map<string, () => void>();
  for (const p of others) p.seen = new Promise<void>((resolve) => instanceProbes.set(userKey(p.id), resolve));
  // JSON is what a hello without `encoding` gets (and `encoding` is only valid beside batchHz).
  const columns = o.sinkEncoding === 'json' ? undefined : o.sinkEncoding;
  const sink = new MeasuringSink({
    url: o.sinkUrl, token: o.sinkToken, batchHz: o.batchHz, encoding: columns, legacy: o.legacy, ledger, probeId, onProbe: () => seenProbe(), instances, instanceProbes, tls: o.tls,
  });
  await sink.connect();
  try {
    await probeAdmission(o.sinkUrl, probeId, sink, seen, o.legacy, undefined, o.tls);
  } catch (err) {
    await sink.close();
    throw err;
  }
  const unreached: string[] = [];
  await Promise.all(
    others.map(async (p) => {
      try {
        await probeAdmission(p.url, p.id, sink, p.seen!, o.legacy, INSTANCE_PROBE_MS, o.tls);
      } catch (err) {
        if (!(err instanceof AdmissionError)) throw err;
        unreached.push(p.url);
      }
    }),
  );
  return { sink, unreached: o.urls.filter((u) => unreached.includes(u)) };
}
