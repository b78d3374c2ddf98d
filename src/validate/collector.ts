/**
 * Collects findings across files: counts every one, keeps at most `maxErrors`, and applies --strict (warnings
 * become errors).
 */
import type { Finding } from './rules/rule.js';
import type { Violation } from './types.js';

export class Collector {
  readonly violations: Violation[] = [];
  errors = 0;
  warnings = 0;
  omitted = 0;

  constructor(
    private readonly maxErrors: number,
    private readonly strict: boolean,
  ) {}

  /** Counts for one file: take a snapshot before, subtract after. */
  counts(): { errors: number; warnings: number } {
    return { errors: this.errors, warnings: this.warnings };
  }

  add(file: string, finding: Finding): Violation | undefined {
    const severity = this.strict ? 'error' : finding.severity;
    if (severity === 'error') this.errors += 1;
    else this.warnings += 1;
    if (this.violations.length >= this.maxErrors) {
      this.omitted += 1;
      return undefined;
    }
    const violation: Violation = {
      file,
      line: finding.line,
      ...(finding.column !== undefined ? { column: finding.column } : {}),
      severity,
      rule: finding.rule,
      message: finding.message,
      path: finding.path ?? '/',
      ...(finding.conn !== undefined ? { conn: finding.conn } : {}),
      ...(finding.dropped !== undefined ? { dropped: finding.dropped } : {}),
    };
    this.violations.push(violation);
    return violation;
  }
}
