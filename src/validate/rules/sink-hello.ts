/**
 * A sink's first message is its hello (docs/protocol.md, "Messages"). Flags a hello that comes after other frames on the same
 * connection (error), and a connection logged as a sink whose hello this log never shows (warning: the log may
 * have started mid-connection).
 */
import { isInbound, type Emit, type Frame, type StatefulRule } from './rule.js';

interface Opening {
  framesBeforeHello: number;
  firstLine?: number;
  helloSeen: boolean;
  warned: boolean;
}

export class SinkHelloRule implements StatefulRule {
  private readonly connections = new Map<number, Opening>();

  onFrame(frame: Frame, emit: Emit): void {
    if (!isInbound(frame)) return;
    let opening = this.connections.get(frame.conn);
    if (!opening) {
      opening = { framesBeforeHello: 0, helloSeen: false, warned: false };
      this.connections.set(frame.conn, opening);
    }
    const { result } = frame;
    if (result.ok && result.kind === 'hello') {
      if (!opening.helloSeen && opening.framesBeforeHello > 0) {
        const n = opening.framesBeforeHello;
        emit({
          line: frame.line,
          severity: 'error',
          rule: 'before_hello',
          message: `hello must be a sink's first message: conn ${frame.conn} sent ${n} frame${n === 1 ? '' : 's'} before it (first on line ${opening.firstLine})`,
          conn: frame.conn,
          ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
        });
      }
      opening.helloSeen = true;
      return;
    }
    if (opening.helloSeen) return;
    if (frame.role === 'sink' && !opening.warned) {
      opening.warned = true;
      emit({
        line: frame.line,
        severity: 'warning',
        rule: 'before_hello',
        message: `conn ${frame.conn} is logged as a sink but its hello is not in this log (log started mid-connection?)`,
        conn: frame.conn,
      });
    }
    if (result.ok && (result.kind === 'ping' || result.kind === 'pong')) return;
    opening.framesBeforeHello += 1;
    opening.firstLine ??= frame.line;
  }

  onEnd(): void {
    this.connections.clear();
  }
}
