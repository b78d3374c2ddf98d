import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Serves the joystick page and its assets. Returns true when it answered the request.
 * (Placeholder until the page lands: answers `/` with a minimal notice.)
 */
export function handlePageRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path !== '/' && path !== '/index.html') return false;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end('<!doctype html><title>tdcrowd</title><p>joystick page not built yet</p>');
  return true;
}
