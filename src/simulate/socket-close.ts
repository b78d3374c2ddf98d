import { WebSocket } from 'ws';

/**
 * Resolves when `ws` has closed, terminating it after `timeoutMs` if the peer never finishes the close
 * handshake (a stalled relay must not hang the end of a run). Start the close after calling this.
 */
export function closedOrTerminated(ws: WebSocket, timeoutMs: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, timeoutMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
