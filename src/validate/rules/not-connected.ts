/**
 * Updates and deletes for an id that never connected. A warning, not an error: a log may start mid-session, and
 * a sink's stream legitimately opens with a snapshot of updates whose connects it never saw.
 *
 * - Relay log: per controller connection, an update/delete before any accepted connect (once per connection).
 *   Frames to sinks are not judged (snapshots).
 * - Plain JSONL: per file, ids updated or deleted without a connect earlier in the file; one finding, completed
 *   with the number of such ids at the end of the file.
 */
import type { Violation } from '../types.js';
import { idKey, isInbound, showId, sliderIdOf, type Emit, type Frame, type StatefulRule } from './rule.js';

export class NotConnectedRule implements StatefulRule {
  /** Relay log: connections that connected, or were already warned about. */
  private readonly settled = new Set<number>();
  /** Plain JSONL: ids connected, and ids seen without a connect. */
  private readonly connected = new Set<string>();
  private readonly strays = new Set<string>();
  private strayFinding: { violation: Violation | undefined; firstId: number | string; line: number } | undefined;

  onFrame(frame: Frame, emit: Emit): void {
    const { result } = frame;
    if (!result.ok) return;
    if (frame.conn === undefined) {
      this.onBareFrame(frame, emit);
      return;
    }
    if (!isInbound(frame) || frame.sender === 'sink' || this.settled.has(frame.conn)) return;
    if (result.kind === 'connect') {
      if (frame.dropped === undefined) this.settled.add(frame.conn);
      return;
    }
    if (result.kind !== 'update' && result.kind !== 'delete') return;
    this.settled.add(frame.conn);
    emit({
      line: frame.line,
      severity: 'warning',
      rule: 'not_connected',
      message: `conn ${frame.conn} sent ${result.kind} for id ${showId(result.message.sliderId as number | string)} before any connect`,
      conn: frame.conn,
      ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
    });
  }

  private onBareFrame(frame: Frame, emit: Emit): void {
    const { result } = frame;
    if (!result.ok) return;
    const id = sliderIdOf(result);
    if (id === undefined) return;
    const key = idKey(id);
    if (result.kind === 'connect') {
      this.connected.add(key);
      return;
    }
    if (this.connected.has(key) || this.strays.has(key)) return;
    this.strays.add(key);
    if (!this.strayFinding) {
      const violation = emit({
        line: frame.line,
        severity: 'warning',
        rule: 'not_connected',
        message: `${result.kind === 'update' ? 'update' : 'delete'} for id ${showId(id)}, which never connected in this file`,
      });
      this.strayFinding = { violation, firstId: id, line: frame.line };
    }
  }

  onEnd(): void {
    const finding = this.strayFinding;
    if (finding?.violation && this.strays.size > 1) {
      finding.violation.message = `${this.strays.size} ids sent updates or deletes without a connect in this file (first: id ${showId(finding.firstId)} here)`;
    }
    this.settled.clear();
    this.connected.clear();
    this.strays.clear();
    this.strayFinding = undefined;
  }
}
