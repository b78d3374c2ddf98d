/**
 * Plain HTTP on the relay's port: `/healthz` (JSON), `/metrics` (Prometheus text), and the joystick page
 * (src/web) for everything else it knows; and the answer to a WebSocket upgrade the relay refuses.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { handlePageRequest, type PageHandler } from '../web/index.js';

export interface HttpRoutes {
  /** Async when it asks other processes (relay --workers: the whole machine's answer). */
  healthz(): Record<string, unknown> | Promise<Record<string, unknown>>;
  metrics(): string | Promise<string>;
  /** The page (branded, or the artist's own); default: the joystick page as installed. */
  page?: PageHandler;
}

export function createRequestHandler(routes: HttpRoutes): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      const read = req.method === 'GET' || req.method === 'HEAD';
      const head = req.method === 'HEAD';
      if (read && path === '/healthz') {
        Promise.resolve(routes.healthz()).then(
          (body) => send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, head),
          () => send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false),
        );
        return;
      }
      if (read && path === '/metrics') {
        Promise.resolve(routes.metrics()).then(
          (body) => send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', body, head),
          () => send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false),
        );
        return;
      }
      if ((routes.page ?? handlePageRequest)(req, res)) return;
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', false);
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else res.destroy(err as Error);
    }
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly: boolean): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(headOnly ? undefined : body);
}

/**
 * Refuses a WebSocket upgrade with a plain HTTP answer on the raw socket (the upgrade never reached `ws`), e.g.
 * 403 for an origin not on the allow-list.
 */
export function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}
