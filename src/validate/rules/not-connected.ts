/**
 * Frames for an id whose connection never claimed it.
 *
 * - Relay log, per controller connection: a delete before any claim is an error (the relay refuses it as
 *   `not_connected`); an update before any connect is a warning (the relay lets an update claim the id, but the
 *   tutorial's page and ours always connect first), once per connection. Frames to sinks are not judged
 *   (their snapshot opens with updates whose connects they never saw).
 * - Plain JSONL, per file: ids updated or deleted without a connect earlier in the file, a warning (a recording
 *   may start mid-session); one finding, completed with the number of such ids at the end of the file.
 */
import type { Violation } from '../types.js';
import { userKey } from '../../protocol/index.js';
import { isInbound, showId, sliderIdOf, type Emit, type Frame, type StatefulRule } from './rule.js';

export class NotConnectedRule implements StatefulRule {
  /** Relay log: connections that hold an id, and those already warned about an update before connect. */
  private readonly claimed = new Set<number>();
  private readonly warned = new Set<number>();
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
    if (!isInbound(frame) || frame.sender === 'sink' || this.claimed.has(frame.conn)) return;
    const accepted = frame.dropped === undefined;
    if (result.kind === 'connect') {
      if (accepted) this.claimed.add(frame.conn);
      return;
    }
    if (result.kind === 'delete') {
      emit({
        line: frame.line,
        severity: 'error',
        rule: 'not_connected',
        message: `conn ${frame.conn} sent delete for id ${showId(result.message.sliderId as number | string)} before claiming any id`,
        path: '/sliderId',
        conn: frame.conn,
        ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
      });
      return;
    }
    if (result.kind !== 'update') return;
    if (accepted) this.claimed.add(frame.conn);
    if (this.warned.has(frame.conn)) return;
    this.warned.add(frame.conn);
    emit({
      line: frame.line,
      severity: 'warning',
      rule: 'not_connected',
      message: `conn ${frame.conn} sent update for id ${showId(result.message.sliderId as number | string)} before any connect`,
      conn: frame.conn,
      ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
    });
  }

  private onBareFrame(frame: Frame, emit: Emit): void {
    const { result } = frame;
    if (!result.ok) return;
    const id = sliderIdOf(result);
    if (id === undefined) return;
    const key = userKey(id);
    if (result.kind === 'connect' || result.kind === 'relayConnect') {
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
    this.claimed.clear();
    this.warned.clear();
    this.connected.clear();
    this.strays.clear();
    this.strayFinding = undefined;
  }
}
