/**
 * Renders JavaScript values as Python 3 literals. Every option value reaches the generated Python through
 * here, so no value can end a string, open a comment or add a line: strings keep only printable ASCII
 * (minus quote and backslash) verbatim and escape everything else.
 */

export type PyValue = string | number | boolean | null | undefined | readonly PyValue[] | { readonly [k: string]: PyValue };

function escapeCodePoint(cp: number): string {
  if (cp === 0x5c) return '\\\\';
  if (cp === 0x27) return "\\'";
  if (cp === 0x0a) return '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp === 0x09) return '\\t';
  if (cp >= 0x20 && cp < 0x7f) return String.fromCodePoint(cp);
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** A single-quoted Python str literal; lone surrogates become \\uXXXX escapes (still valid Python). */
export function pyString(s: string): string {
  let out = "'";
  for (const ch of s) out += escapeCodePoint(ch.codePointAt(0) ?? 0);
  return `${out}'`;
}

export function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`cannot render ${n} as a Python literal`);
  if (Object.is(n, -0)) return '0';
  // JS number formatting (e.g. 0.1, 1e-7, 1e+21) is also valid Python float/int syntax.
  return String(n);
}

export function pyLiteral(v: PyValue): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `(${v.map((x: PyValue) => `${pyLiteral(x)}, `).join('')})`;
  const entries = Object.entries(v as { readonly [k: string]: PyValue });
  return `{${entries.map(([k, x]) => `${pyString(k)}: ${pyLiteral(x)}`).join(', ')}}`;
}

/** A long text as a parenthesised run of one literal per line (Python joins adjacent literals): the
 * generated file stays readable line by line, and the value is exactly `s`. */
export function pyLines(s: string): string {
  const lines = s.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  if (lines.length === 0) return "''";
  return `(\n${lines.map((l) => `    ${pyString(l)}\n`).join('')})`;
}

/** Text safe inside a `#` comment: printable ASCII only, anything else shown as `?`. */
export function pyComment(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
