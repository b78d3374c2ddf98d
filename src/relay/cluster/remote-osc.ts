/**
 * relay --redis with --osc: other instances' users go to this instance's OSC targets too, so a target sees the
 * whole relay as a WebSocket sink does. The frames are the relay's own canonical JSON, read back only here.
 */
import type { DeleteReason, SliderId } from '../../protocol/index.js';
import type { OutKind } from '../out-queue.js';
import type { OscOut } from '../osc-out.js';

interface Frame {
  sliderId?: SliderId;
  x?: number;
  y?: number;
  speed?: number;
  angle?: number;
  reason?: DeleteReason;
  hue?: number;
}

export function remoteToOsc(osc: OscOut, key: string, kind: OutKind, text: string): void {
  let f: Frame;
  try {
    f = JSON.parse(text) as Frame;
  } catch {
    return;
  }
  const id = f.sliderId;
  if (id === undefined) return;
  if (kind === 'connect') osc.connect(key, id, typeof f.hue === 'number' ? f.hue : 0);
  else if (kind === 'delete') osc.remove(key, id, f.reason ?? 'closed');
  else if (typeof f.x === 'number' && typeof f.y === 'number' && typeof f.speed === 'number' && typeof f.angle === 'number') {
    osc.update(key, id, f.x, f.y, f.speed, f.angle);
  }
}
