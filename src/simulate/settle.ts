/**
 * The settle phase: after sending stops, wait (up to --grace) for in-flight updates and the deletes of departed
 * users to reach the sink, then compare who the sink shows with who the simulator believes is live.
 */
import { performance } from 'node:perf_hooks';
import { userKey, type SliderId } from '../protocol/index.js';
import type { MeasuringSink } from './measuring-sink.js';
import type { SentLedger } from './sent-ledger.js';

/** How often the grace period re-checks whether everything has arrived. */
const SETTLE_POLL_MS = 50;

export interface Presence {
  /** Ids the sink shows that the simulator had gone (left but never deleted). */
  ghostIds: SliderId[];
  /** Users the simulator had present that the sink did not show. */
  missing: number;
  /** Live users at the end, and how many of them the sink had seen up to their last update. */
  finalUsers: number;
  finalMatched: number;
}

export async function settle(sink: MeasuringSink, ledger: SentLedger, graceS: number, batched: boolean): Promise<Presence> {
  const deadline = performance.now() + graceS * 1000;
  // Batches coalesce, so "everything arrived" means every user's last update arrived, not every update.
  const allArrived = (): boolean =>
    batched ? [...ledger.lastSeqs()].every(([key, last]) => sink.maxSeq(key) >= last) : sink.delivered + sink.unmatched >= ledger.sent;
  const settled = (): boolean => allArrived() && samePresence(sink.liveIds().map(userKey), ledger.liveKeys());
  while (performance.now() < deadline && !settled()) await sleep(SETTLE_POLL_MS);

  const simLive = ledger.liveKeys();
  const sinkLive = sink.liveIds();
  const sinkKeys = new Set(sinkLive.map(userKey));
  let finalUsers = 0;
  let finalMatched = 0;
  for (const [key, last] of ledger.lastSeqs()) {
    if (!simLive.has(key)) continue;
    finalUsers++;
    if (sink.maxSeq(key) >= last) finalMatched++;
  }
  return {
    ghostIds: sinkLive.filter((id) => !simLive.has(userKey(id))),
    missing: [...simLive].filter((key) => !sinkKeys.has(key)).length,
    finalUsers,
    finalMatched,
  };
}

/** The sink shows exactly the users the simulator believes live (user keys; the sink's list has no repeats). */
function samePresence(sinkKeys: readonly string[], simKeys: ReadonlySet<string>): boolean {
  return sinkKeys.length === simKeys.size && sinkKeys.every((key) => simKeys.has(key));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
