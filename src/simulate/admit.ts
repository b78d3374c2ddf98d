/**
 * The admission phase: the measuring sink connects, says hello and is proven served before any measured update
 * is sent (admission-probe.ts). Without --sink there is nothing to admit.
 */
import { randomBytes } from 'node:crypto';
import { probeAdmission } from './admission-probe.js';
import { MeasuringSink } from './measuring-sink.js';
import type { SimulateOptions } from './options.js';
import type { SentLedger } from './sent-ledger.js';

/** The admitted sink, or undefined without --sink; throws AdmissionError when the relay never serves it. */
export async function admitSink(o: SimulateOptions, ledger: SentLedger): Promise<MeasuringSink | undefined> {
  if (!o.sink) return undefined;
  // Unique per run: a replayed log may contain an earlier run's probe, which must not be mistaken for this one.
  const probeId = `tdcrowd-probe-${randomBytes(6).toString('hex')}`;
  let seenProbe!: () => void;
  const seen = new Promise<void>((resolve) => (seenProbe = resolve));
  const sink = new MeasuringSink({ url: o.url, token: o.sinkToken, batchHz: o.batchHz, legacy: o.legacy, ledger, probeId, onProbe: () => seenProbe(), tls: o.tls });
  await sink.connect();
  try {
    await probeAdmission(o.url, probeId, sink, seen, o.legacy, undefined, o.tls);
  } catch (err) {
    await sink.close();
    throw err;
  }
  return sink;
}
