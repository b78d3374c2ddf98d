/**
 * What the operator should know about who can read the crowd with these options, said at start-up (after the
 * banner) so an open relay is never open by surprise.
 */
import type { RelayOptions } from './options.js';

export function accessWarnings(o: Pick<RelayOptions, 'mode' | 'sinkToken' | 'sinkFrom'>): string[] {
  const warnings: string[] = [];
  if (o.mode === 'broadcast' && o.sinkToken === undefined) {
    warnings.push(
      "broadcast mode: every connected client, any phone included, receives every user's id and position (the " +
        'tutorial relay\'s behaviour). For an audience you do not know, use route mode, or add --sink-token.',
    );
  }
  if (o.sinkToken === undefined && o.sinkFrom !== undefined && o.sinkFrom.some((b) => /\/0$/.test(b))) {
    warnings.push(`--sink-from ${o.sinkFrom.join(' ')} without --sink-token: anyone who can reach this relay can read the crowd.`);
  }
  return warnings;
}
