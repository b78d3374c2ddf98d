/**
 * Proves the sink is admitted before any measured update is sent: a probe controller (an id outside the
 * measured crowd) sends until the sink sees one of its frames. Without it, updates sent while the relay is
 * still processing the sink's hello would count as lost.
 */
import WebSocket from 'ws';
import { wsTlsOptions, type ClientTls } from './client-tls.js';
import { CLOSE, connectFrame, deleteFrame, PING, PONG, updateFrame, type SliderId } from '../protocol/index.js';
import { AdmissionError } from './errors.js';
import type { MeasuringSink } from './measuring-sink.js';

export async function probeAdmission(
  url: string,
  id: SliderId,
  sink: MeasuringSink,
  seen: Promise<void>,
  legacy = false,
  timeoutMs = 5000,
  tls?: ClientTls,
): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...wsTlsOptions(tls) });
  let timer: NodeJS.Timeout | undefined;
  let resend: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', (err) => reject(new AdmissionError(`probe could not connect to ${url}: ${err.message}`)));
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === PING.length && data.toString('latin1') === PING) ws.send(PONG);
    });
    ws.send(connectFrame(id));
    const update = updateFrame({ x: 0, y: 0, speed: 0, angle: 0, sliderId: id });
    ws.send(update);
    resend = setInterval(() => ws.send(update), 100);
    await Promise.race([
      seen,
      sink.whenClosedByRelay.then((c) => {
        throw new AdmissionError(`the relay closed the sink's socket (code ${c.code}${c.reason ? `: ${c.reason}` : ''}). Check --sink-token.`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const closed = sink.closed ? ` The relay closed the sink's socket (code ${sink.closed.code}${sink.closed.reason ? `: ${sink.closed.reason}` : ''}).` : '';
          reject(
            new AdmissionError(
              `the sink received nothing from the relay within ${timeoutMs / 1000} s.${closed} ${
                legacy
                  ? 'A --legacy sink says no hello, so it only receives from a relay that broadcasts to every client (tdcrowd relay --mode broadcast, or the tutorial relay).'
                  : 'Check --sink-token, and use --legacy for a relay that only broadcasts (the tutorial relay).'
              }`,
            ),
          );
        }, timeoutMs);
      }),
    ]);
    ws.send(deleteFrame(id));
  } finally {
    if (timer) clearTimeout(timer);
    if (resend) clearInterval(resend);
    if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.normal, 'probe done');
    else ws.terminate();
  }
}
