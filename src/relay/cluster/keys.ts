/**
 * Where the cluster keeps its state in Redis. One prefix for everything, so several relays can share one Redis by
 * using different database numbers (redis://HOST:6379/1) and an operator can see it all with `KEYS tdcrowd:*`.
 *
 * - `tdcrowd:inst:<instance>`   string with a TTL: the instance is alive; value {"sinks":N,"users":N}
 * - `tdcrowd:instances`         set: every instance that may still hold ids (swept when its liveness key is gone)
 * - `tdcrowd:id:<user key>`     hash {inst, tok}: who holds the id, and the sha256 of its resume token
 * - `tdcrowd:users:<instance>`  set of user keys the instance holds (what a sweep frees when it dies)
 * - `tdcrowd:counter:<name>`    INCR counters (e.g. hue)
 * - channel `tdcrowd:bus`       one PUBLISH per instance per tick: its users' frames in order (bus-codec.ts)
 */
export const PREFIX = 'tdcrowd:';
export const INSTANCES = `${PREFIX}instances`;
export const BUS_CHANNEL = `${PREFIX}bus`;
export const instanceKey = (inst: string): string => `${PREFIX}inst:${inst}`;
export const idKey = (key: string): string => `${PREFIX}id:${key}`;
export const usersKey = (inst: string): string => `${PREFIX}users:${inst}`;
export const counterKey = (name: string): string => `${PREFIX}counter:${name}`;
