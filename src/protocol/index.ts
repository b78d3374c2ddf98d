export * from './schema.js';
export type * from './types.js';
export { validators, describeErrors } from './validators.js';
export { parse, check, kindOf, type Origin, type Parsed, type ParseResult, type Rejected, type RejectReason, type ParseOptions } from './parse.js';
export { serialize } from './serialize.js';
export * from './log.js';
