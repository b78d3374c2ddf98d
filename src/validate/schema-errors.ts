/**
 * Every schema error of a message, not only the first. The relay's validators stop at the first error (the hot
 * path needs no more); the validator compiles the same schemas once more with `allErrors`, and only runs them on
 * a frame the protocol has already rejected for its schema.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { describeErrors, kindOf, validators, type MessageKind, type Origin } from '../protocol/index.js';

export interface SchemaError {
  path: string;
  /** Worded like the protocol's own message: `update: /x must be <= 170`. */
  message: string;
}

// Same options as src/protocol/validators.ts, plus allErrors.
const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false });
let compiled: Record<MessageKind, ValidateFunction> | undefined;

/** Compiled on first use: a clean log never pays for it. The schemas are taken from the protocol's validators. */
function allErrorValidators(): Record<MessageKind, ValidateFunction> {
  compiled ??= Object.fromEntries(
    Object.entries(validators).map(([kind, v]) => [kind, ajv.compile(v.schema as object)]),
  ) as Record<MessageKind, ValidateFunction>;
  return compiled;
}

/** The errors of `value` as a message from `origin`, each described on its own; [] when it has none. */
export function everySchemaError(value: unknown, origin: Origin): SchemaError[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const obj = value as Record<string, unknown>;
  const kind = kindOf(obj, origin);
  if (kind === undefined) return [];
  const validate = allErrorValidators()[kind];
  if (validate(obj)) return [];
  const out: SchemaError[] = [];
  const seen = new Set<string>();
  for (const e of standalone(validate.errors ?? [])) {
    const { path, message } = describeErrors([e]);
    const text = `${kind}: ${message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ path, message: text });
  }
  return out;
}

/**
 * Inside an anyOf ajv reports each branch's failure before the anyOf itself; the anyOf's own line (which names
 * the allowed shapes) stands for them, as it does in the protocol's single-error message.
 */
function standalone(errors: ErrorObject[]): ErrorObject[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const under = (path: string, parent: string): boolean => path === parent || path.startsWith(`${parent}/`);
  return errors.filter(
    (e) => !anyOfs.some((a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`) && under(e.instancePath, a.instancePath)),
  );
}
