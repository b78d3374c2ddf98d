/**
 * A connection speaks only for the id it first claimed (docs/protocol.md, "Identity"), compared by user key, so 5
 * and "5" are the same id. The claim is the first frame with an id that the relay accepted; a claim the relay
 * refused (e.g. `id_taken`) leaves the connection free to try another id.
 */
import { userKey } from '../../protocol/index.js';
import { isInbound, showId, sliderIdOf, type Emit, type Frame, type StatefulRule } from './rule.js';

interface Claim {
  key: string;
  id: number | string;
  line: number;
}

export class IdClaimRule implements StatefulRule {
  private readonly claims = new Map<number, Claim>();

  onFrame(frame: Frame, emit: Emit): void {
    if (!isInbound(frame) || frame.sender === 'sink') return;
    const id = sliderIdOf(frame.result);
    if (id === undefined) return;
    const claim = this.claims.get(frame.conn);
    if (!claim) {
      if (frame.dropped === undefined) this.claims.set(frame.conn, { key: userKey(id), id, line: frame.line });
      return;
    }
    if (claim.key === userKey(id)) return;
    emit({
      line: frame.line,
      severity: 'error',
      rule: 'id_mismatch',
      message: `conn ${frame.conn} claimed id ${showId(claim.id)} (line ${claim.line}) and now speaks for id ${showId(id)}`,
      path: '/sliderId',
      conn: frame.conn,
      ...(frame.dropped !== undefined ? { dropped: frame.dropped } : {}),
    });
  }

  onEnd(): void {
    this.claims.clear();
  }
}
