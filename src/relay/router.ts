/**
 * Where a frame for the sinks goes. Route mode: to admitted sinks only, never to other controllers.
 * Broadcast mode (the tutorial relay): to every other client, as the tutorial's patches expect.
 */
import type { ClientRegistry } from './clients.js';
import type { Connection } from './connection.js';
import type { RelayMode } from './options.js';
import type { UpdateMessage } from '../protocol/index.js';
import { OutQueue, type OutKind, type OutQueueContext } from './out-queue.js';

export class Router {
  constructor(
    private readonly mode: RelayMode,
    private readonly clients: ClientRegistry,
    private readonly queueContext: OutQueueContext,
    /** With a sink token only admitted sinks get data, even in broadcast mode: no token, no data. */
    private readonly requireHello: boolean,
    /** OSC targets (--osc): they receive every update too, so with one an update never reaches no one. */
    private readonly oscTargets = 0,
  ) {}

  /**
   * @param from the sender, never a recipient
   * @param text serialised once by the caller and shared by every recipient
   * @param recvAt performance.now() when the frame arrived, -1 for frames the relay made itself
   * @param update an update's validated fields, for sinks that get column batches
   */
  forward(from: Connection | undefined, key: string, kind: OutKind, text: string, recvAt: number, update?: UpdateMessage): void {
    if (this.mode === 'route') {
      if (this.clients.sinks.size === 0) {
        if (kind === 'update' && this.oscTargets === 0) this.queueContext.metrics.drop('no_sink');
        return;
      }
      for (const sink of this.clients.sinks) sink.out?.push(key, kind, text, recvAt, update);
      return;
    }
    let delivered = false;
    for (const c of this.clients.all) {
      if (c === from || c.refused !== undefined) continue;
      // A phone that claimed an id has no token either; it must not read the crowd.
      if (this.requireHello && c.role !== 'sink') continue;
      if (c.out === undefined) {
        // A silent connection reads the crowd only in one of the few listener places (--max-sinks).
        if (c.role === 'unknown' && !this.clients.admitListener(c)) continue;
        c.out = new OutQueue(c, this.queueContext);
      }
      c.out.push(key, kind, text, recvAt, update);
      delivered = true;
    }
    // Nobody else is connected: the update reaches no one (other phones count: in broadcast mode they receive it).
    if (!delivered && kind === 'update' && this.oscTargets === 0) this.queueContext.metrics.drop('no_sink');
  }
}
