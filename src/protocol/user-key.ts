/**
 * The identity rule (docs/protocol.md, "Identity"): an integer id and the string of its decimal digits name one
 * user, so 5 and "5" are one user, as they are one row in TouchDesigner (the generated Python keys rows the same
 * way). The relay, the validator and the simulator compare ids only through this key. Browser-safe.
 */
import type { SliderId } from './types.js';

export function userKey(id: SliderId): string {
  return typeof id === 'number' ? String(id) : id;
}
