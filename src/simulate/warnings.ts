/** What a reader of the report must not miss: every way the run differed from what was asked or measured. */
import type { ReportInput } from './report-input.js';

/**
 * @param generatorBound the run's own verdict (generator-bound.ts): a loss while overloaded is explained
 * @param updateRatio delivered / sent (null without a sink)
 */
export function runWarnings(input: ReportInput, generatorBound: boolean, updateRatio: number | null): string[] {
  const { options: o, counters: c, sink } = input;
  const warnings: string[] = [];
  if (c.missedBacklog > 0) warnings.push(`${c.missedBacklog} updates not sent because the relay was not reading (send buffer > 256 KiB)`);
  if (c.connectFailures > 0) warnings.push(`${c.connectFailures} connections failed to open`);
  if (!o.replay && input.connectedAtEnd < o.users * 0.99) {
    // Users that never got a socket send nothing and are due nothing: the on-time share cannot show them. (1 %
    // slack: with churn a few replacements are always mid-handshake.)
    warnings.push(`only ${input.connectedAtEnd} of ${o.users} virtual users were connected when sending stopped: the load was lower than asked`);
  }
  const from = Object.entries(c.opensBySource);
  if (!input.sources.spread && input.sources.loopback && from.length === 1 && from[0]![1] > 1) {
    warnings.push(`every virtual phone connected from ${from[0]![0]}: ${input.sources.reason}; a relay capping controllers per address (--max-per-address) refuses all but a few`);
  }
  const closes = Object.entries(c.closesByCode);
  if (closes.length > 0) warnings.push(`relay closed users' sockets: ${closes.map(([k, v]) => `${v}× code ${k}`).join(', ')}`);
  if (sink?.closed) warnings.push(`the sink's socket was closed by the relay (code ${sink.closed.code}${sink.closed.reason ? `, ${sink.closed.reason}` : ''})`);
  if (sink && Object.keys(sink.invalid).length > 0) warnings.push(`the sink received frames that break the protocol: ${JSON.stringify(sink.invalid)}`);
  if (sink && sink.unmatched > 0) warnings.push(`${sink.unmatched} updates at the sink matched nothing sent (duplicates or altered values)`);
  if (sink && generatorBound && updateRatio !== null && updateRatio < 1) {
    warnings.push(
      "some updates did not arrive while this process was overloaded: part of the loss may be the relay coalescing for this slow-reading sink (tdcrowd relay counts it as dropped, reason=\"backpressure\")",
    );
  }
  if (o.batchHz !== undefined) {
    warnings.push(
      'batch mode: the relay keeps only the latest update per user per batch, so deliveryRatio is the share of users whose final state reached the sink; updateDeliveryRatio shows how much coalescing removed',
    );
  }
  return warnings;
}
