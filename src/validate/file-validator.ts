/**
 * Validates one file's lines: classify each line, check its frame, feed the stateful rules. State is per file,
 * except across a rotated log set (FILE.N … FILE.1, FILE), which is one stream cut into files: there the caller
 * passes the same rules to each file and ends them after the last.
 */
import type { ParseResult } from '../protocol/index.js';
import { checkBareFrame, checkLoggedFrame, schemaErrorsOf, senderOf, syntaxErrorColumn, type Sender } from './check-frame.js';
import { classifyLine } from './classify-line.js';
import type { Collector } from './collector.js';
import type { Line } from './line-reader.js';
import { ColumnsRule } from './rules/columns.js';
import { IdClaimRule } from './rules/id-claim.js';
import { NotConnectedRule } from './rules/not-connected.js';
import { RateLimitRule } from './rules/rate-limit.js';
import type { Emit, Finding, Frame, StatefulRule } from './rules/rule.js';
import { SinkHelloRule } from './rules/sink-hello.js';
import type { FileReport } from './types.js';

export interface FileValidatorOptions {
  rate: number;
  burst: number;
}

export function createRules(options: FileValidatorOptions): StatefulRule[] {
  return [new RateLimitRule(options.rate, options.burst), new IdClaimRule(), new SinkHelloRule(), new NotConnectedRule(), new ColumnsRule()];
}

export async function validateLines(
  file: string,
  lines: AsyncIterable<Line>,
  collector: Collector,
  options: FileValidatorOptions,
  shared?: { rules: StatefulRule[]; last: boolean },
): Promise<FileReport> {
  const rules = shared?.rules ?? createRules(options);
  const columns = rules.find((r): r is ColumnsRule => r instanceof ColumnsRule);
  const before = collector.counts();
  let findingsOnLine = 0;
  const emit: Emit = (finding: Finding) => {
    findingsOnLine += 1;
    return collector.add(file, finding);
  };
  const report: FileReport = { file, lines: 0, envelopeLines: 0, bareLines: 0, errors: 0, warnings: 0 };

  for await (const line of lines) {
    report.lines = line.number;
    findingsOnLine = 0;
    if ('problem' in line) {
      emit(
        line.problem === 'not_utf8'
          ? { line: line.number, severity: 'error', rule: 'not_utf8', message: 'line is not valid UTF-8' }
          : { line: line.number, severity: 'error', rule: 'line_too_long', message: `line of ${line.bytes} bytes is too long to be a frame or a log entry; skipped` },
      );
      continue;
    }
    const classified = classifyLine(line.text);
    switch (classified.kind) {
      case 'blank':
        emit({ line: line.number, severity: 'warning', rule: 'blank_line', message: 'blank line' });
        break;
      case 'bare': {
        report.bareLines += 1;
        const result = checkBareFrame(classified.text);
        reportFrame({ line: line.number, sender: 'any', result }, emit, true, classified.text);
        for (const rule of rules) rule.onFrame({ line: line.number, sender: 'any', result }, emit);
        break;
      }
      case 'bad-envelope': {
        report.envelopeLines += 1;
        emit({ line: line.number, severity: 'error', rule: 'envelope', message: classified.problem.message, path: classified.problem.path });
        // The frame is still worth judging, from an unknown sender; without a connection no stateful rule can.
        if (classified.hasMsg) reportFrame({ line: line.number, sender: 'any', result: checkLoggedFrame(classified.msg, 'any') }, emit, false, classified.msg);
        break;
      }
      case 'envelope': {
        report.envelopeLines += 1;
        const { entry } = classified;
        if (entry.bin !== undefined) {
          // A binary frame (a column batch): no JSON to judge; the columns rule decodes and checks it.
          columns?.onBinary({ line: line.number, conn: entry.conn, dir: entry.dir, msg: entry.msg, bin: entry.bin }, emit);
          break;
        }
        const sender = senderOf(entry);
        const frame: Frame = {
          line: line.number,
          conn: entry.conn,
          ts: entry.ts,
          dir: entry.dir,
          role: entry.role,
          sender,
          result: placeholderVerdict(entry) ?? checkLoggedFrame(entry.msg, sender),
          ...(entry.drop !== undefined ? { dropped: entry.drop } : {}),
          ...(entry.skipped !== undefined ? { skipped: entry.skipped } : {}),
        };
        reportFrame(frame, emit, false, entry.msg);
        let covered = false;
        for (const rule of rules) covered = rule.onFrame(frame, emit) === true || covered;
        if (entry.drop !== undefined && findingsOnLine === 0 && !covered) {
          emit({
            line: line.number,
            severity: 'warning',
            rule: 'relay_drop',
            message: `the relay dropped this frame (${entry.drop}) for a reason this log alone cannot confirm`,
            conn: entry.conn,
            dropped: entry.drop,
          });
        }
        break;
      }
    }
  }
  if (shared === undefined || shared.last) for (const rule of rules) rule.onEnd(emit);
  const after = collector.counts();
  report.errors = after.errors - before.errors;
  report.warnings = after.warnings - before.warnings;
  return report;
}

/**
 * Frames the relay refused before it had text for them (binary, or refused by `ws` as oversize or invalid UTF-8)
 * are logged as a `<...>` placeholder: judge them by the relay's reason, not as JSON.
 */
const PLACEHOLDER_REASONS = new Set(['binary', 'too_large', 'not_utf8']);
function placeholderVerdict(entry: { msg: unknown; drop?: string }): ParseResult | undefined {
  const { msg, drop } = entry;
  if (drop === undefined || !PLACEHOLDER_REASONS.has(drop) || typeof msg !== 'string') return undefined;
  if (!msg.startsWith('<') || !msg.endsWith('>')) return undefined;
  return { ok: false, reason: drop as 'binary' | 'too_large' | 'not_utf8', message: `the relay logged ${msg} in place of the frame` };
}

/**
 * The line's own verdict: a rejected frame is one error, except that a frame breaking its schema in several
 * places gets one error per place (the protocol's message, the first, then the others). `checked` is the frame
 * as it was checked (logged value or line text), read again only for a schema rejection.
 */
function reportFrame(frame: Pick<Frame, 'line' | 'conn' | 'sender' | 'result' | 'dropped'>, emit: Emit, bare: boolean, checked: unknown): void {
  const { result } = frame;
  if (result.ok) return;
  const batchFromController = result.reason === 'wrong_direction' && isBatchFrom(frame.sender, result);
  const column = bare && result.reason === 'not_json' ? syntaxErrorColumn(result.message) : undefined;
  const where = {
    ...(column !== undefined ? { column } : {}),
    ...(frame.conn !== undefined ? { conn: frame.conn } : {}),
    ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
  };
  emit({
    line: frame.line,
    severity: 'error',
    rule: batchFromController ? 'batch_from_controller' : result.reason,
    message: batchFromController ? 'batch is relay-to-sink only; a controller may not send it' : result.message,
    path: result.path ?? '/',
    ...where,
  });
  if (result.reason !== 'schema') return;
  for (const e of schemaErrorsOf(checked, frame.sender)) {
    if (e.message === result.message) continue;
    emit({ line: frame.line, severity: 'error', rule: 'schema', message: e.message, path: e.path, ...where });
  }
}

function isBatchFrom(sender: Sender, result: ParseResult & { ok: false }): boolean {
  return (sender === 'controller' || sender === 'unidentified') && result.message.includes('"batch"');
}
