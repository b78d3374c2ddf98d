/**
 * Validators compiled once, at import time (fastify's habit): the hot path only runs compiled code.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  batchSchema,
  connectSchema,
  relayConnectSchema,
  deleteSchema,
  encodingSchema,
  errorSchema,
  helloSchema,
  relayDeleteSchema,
  updateSchema,
  statusSchema,
  welcomeSchema,
} from './schema.js';
import type {
  BatchMessage,
  ConnectMessage,
  RelayConnectMessage,
  DeleteMessage,
  EncodingMessage,
  ErrorMessage,
  HelloMessage,
  MessageKind,
  RelayDeleteMessage,
  StatusMessage,
  UpdateMessage,
  WelcomeMessage,
} from './types.js';

// verbose: errors carry their parent schema, so an anyOf failure can be explained by the schema's description.
const ajv = new Ajv({ allErrors: false, verbose: true, strict: true, strictTypes: false });

export const validators = {
  connect: ajv.compile<ConnectMessage>(connectSchema),
  relayConnect: ajv.compile<RelayConnectMessage>(relayConnectSchema),
  update: ajv.compile<UpdateMessage>(updateSchema),
  delete: ajv.compile<DeleteMessage>(deleteSchema),
  relayDelete: ajv.compile<RelayDeleteMessage>(relayDeleteSchema),
  hello: ajv.compile<HelloMessage>(helloSchema),
  welcome: ajv.compile<WelcomeMessage>(welcomeSchema),
  status: ajv.compile<StatusMessage>(statusSchema),
  error: ajv.compile<ErrorMessage>(errorSchema),
  batch: ajv.compile<BatchMessage>(batchSchema),
  encoding: ajv.compile<EncodingMessage>(encodingSchema),
} satisfies Record<MessageKind, ValidateFunction>;

/** One readable sentence from ajv's errors, e.g. `/x must be <= 170`. */
export function describeErrors(errors: ErrorObject[] | null | undefined): { path: string; message: string } {
  const first = pickError(errors ?? []);
  if (!first) return { path: '/', message: 'does not match the schema' };
  const path = first.instancePath || '/';
  // A missing or unknown property is reported by ajv at its parent; point at the property itself.
  if (first.keyword === 'required') {
    const missing = (first.params as { missingProperty: string }).missingProperty;
    return { path: `${first.instancePath}/${missing}`, message: `${first.instancePath}/${missing} is required` };
  }
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty: string }).additionalProperty;
    return { path: `${first.instancePath}/${extra}`, message: `${first.instancePath}/${extra} is an unknown property "${extra}"` };
  }
  if (first.keyword === 'anyOf') {
    const described = (first.parentSchema as { description?: string } | undefined)?.description;
    return { path, message: `${path} must be ${described ?? 'one of the allowed shapes'}` };
  }
  if (first.keyword === 'const') {
    const allowed = (first.params as { allowedValue: unknown }).allowedValue;
    return { path, message: `${path} must be ${JSON.stringify(allowed)}` };
  }
  if (first.keyword === 'enum') {
    const allowed = (first.params as { allowedValues: unknown[] }).allowedValues;
    return { path, message: `${path} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { path, message: `${path} ${first.message ?? 'is invalid'}` };
}

// Inside an anyOf ajv reports each branch's failure before the anyOf itself; the anyOf line reads best.
function pickError(errors: ErrorObject[]): ErrorObject | undefined {
  const anyOf = errors.find((e) => e.keyword === 'anyOf');
  if (anyOf && errors.every((e) => e.instancePath.startsWith(anyOf.instancePath))) return anyOf;
  return errors[0];
}
