/**
 * Wire protocol v1 and its shared rules: shapes (JSON Schema, types, validators, parse), constants and limits,
 * the identity key, the rate limit, close codes, and the serialisers every sender uses (docs/protocol.md).
 * constants, close-codes, user-key and serialize are browser-safe; the page imports them directly.
 */
export * from './constants.js';
export * from './close-codes.js';
export * from './schema.js';
export type * from './types.js';
export { validators, describeErrors } from './validators.js';
export {
  parse,
  check,
  kindOf,
  frameLimit,
  type Origin,
  type Parsed,
  type ParseResult,
  type Rejected,
  type RejectReason,
  type ParseOptions,
} from './parse.js';
export * from './serialize.js';
export { userKey } from './user-key.js';
export { TokenBucket, DEFAULT_RATE, DEFAULT_BURST, isValidRate, isValidBurst } from './token-bucket.js';
export * from './log.js';
export * from './columns.js';
export * from './columns-reader.js';
export { DIRECTIONS, type Direction, type FrameKind } from './directions.js';
export { asyncapiDocument, ASYNCAPI_VERSION } from './asyncapi.js';
