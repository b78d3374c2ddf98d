/**
 * The text of one bus message: what one instance sends the others per tick. Line-based rather than JSON, so the
 * frames (already JSON, one line each: JSON.stringify never emits a raw newline or tab) go over as they are,
 * without a second layer of escaping:
 *
 *   <instance id>\n
 *   c|u|d \t <user key> \t <frame for the sinks>\n     a user's connect, update, delete, in the order they happened
 *   t \t <user key> \t <previous instance>\n            the id moved here from that instance (resume)
 *   s \t \t <sinks> <seq>\n                             this instance's sink count, numbered
 *   q \t \t\n                                           please send me your users (after a start or reconnect)
 *   B \t \t\n, then F \t key \t connect \t update\n …, then E \t \t\n   every user of this instance, at once
 *
 * User keys are an id's decimal digits or [A-Za-z0-9_-] (src/protocol/user-key.ts), instance ids
 * hostname-pid-random, so neither holds a tab or a newline.
 */
export type BusLine =
  | { op: 'c' | 'u' | 'd'; key: string; text: string }
  | { op: 't'; key: string; from: string }
  | { op: 's'; sinks: number; seq: number }
  | { op: 'q' }
  | { op: 'B' }
  | { op: 'F'; key: string; connectText: string; updateText: string | undefined }
  | { op: 'E' };

export function encodeLine(op: string, key: string, text: string, extra?: string): string {
  return extra === undefined ? `${op}\t${key}\t${text}\n` : `${op}\t${key}\t${text}\t${extra}\n`;
}

export function header(instance: string): string {
  return `${instance}\n`;
}

/** The sender, and its lines in order; malformed lines are skipped (a foreign publisher on the channel). */
export function decode(message: string): { from: string; lines: BusLine[] } {
  const parts = message.split('\n');
  const from = parts[0] ?? '';
  const lines: BusLine[] = [];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.length === 0) continue;
    const a = p.indexOf('\t');
    const b = a < 0 ? -1 : p.indexOf('\t', a + 1);
    if (b < 0) continue;
    const op = p.slice(0, a);
    const key = p.slice(a + 1, b);
    const rest = p.slice(b + 1);
    switch (op) {
      case 'c':
      case 'u':
      case 'd':
        lines.push({ op, key, text: rest });
        break;
      case 't':
        lines.push({ op, key, from: rest });
        break;
      case 's': {
        const [sinks, seq] = rest.split(' ');
        lines.push({ op, sinks: Number(sinks) || 0, seq: Number(seq) || 0 });
        break;
      }
      case 'q':
      case 'B':
      case 'E':
        lines.push({ op });
        break;
      case 'F': {
        const c = rest.indexOf('\t');
        if (c < 0) break;
        const upd = rest.slice(c + 1);
        lines.push({ op, key, connectText: rest.slice(0, c), updateText: upd.length === 0 ? undefined : upd });
        break;
      }
      default:
        break;
    }
  }
  return { from, lines };
}
