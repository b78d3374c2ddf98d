import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlePageRequest } from '../../src/web/index.js';
import { CONTENT_SECURITY_POLICY } from '../../src/web/headers.js';
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_BRANDING, renderBrandedHtml } from '../../src/web/branding.js';
import { BROWSER_PROTOCOL_MODULES, CLIENT_DIR, PROTOCOL_DIR, STATIC_DIR } from '../../src/web/assets.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Server;
let port: number;

function fetchRaw(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  // The relay's contract: ask the page first, 404 when it declines.
  server = createServer((req, res) => {
    if (!handlePageRequest(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('serving the joystick page', () => {
  it('needs the compiled client (npm run build)', () => {
    expect(existsSync(`${CLIENT_DIR}/main.js`), 'run `npm run build` before these tests').toBe(true);
  });

  it('serves the page at / and /index.html with a strict CSP and revalidation', async () => {
    for (const path of ['/', '/index.html', '/?idle=1000']) {
      const r = await fetchRaw('GET', path);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      // The file is a template: the default title and instructions go in, escaped, and no marker is left.
      expect(r.body).toBe(renderBrandedHtml(readFileSync(`${STATIC_DIR}/index.html`, 'utf8'), DEFAULT_BRANDING));
      expect(r.body).not.toContain('{{');
      expect(r.body).toContain(`<h1 id="title" class="title">${DEFAULT_BRANDING.title}</h1>`);
      expect(r.body).toContain('name="viewport"');
      expect(r.body).toContain('<script type="module" src="/client/main.js">');
    }
  });

  it('the CSP allows only this origin, with websockets', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self' ws: wss:");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('the page has no inline script or style (the CSP would block them)', async () => {
    const html = (await fetchRaw('GET', '/')).body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('serves css, the icon and compiled modules with their content types', async () => {
    const css = await fetchRaw('GET', '/joystick.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toMatch(/max-age=\d+/);
    const icon = await fetchRaw('GET', '/favicon.svg');
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    for (const mod of ['main', 'joystick', 'connection', 'session', 'messages', 'identity', 'backoff', 'frame', 'config', 'controller', 'timers']) {
      const r = await fetchRaw('GET', `/client/${mod}.js`);
      expect(r.status, mod).toBe(200);
      expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(r.body).toBe(readFileSync(`${CLIENT_DIR}/${mod}.js`, 'utf8'));
    }
  });

  it('serves the browser-safe protocol modules the client imports, and no other part of the protocol', async () => {
    for (const mod of BROWSER_PROTOCOL_MODULES) {
      const r = await fetchRaw('GET', `/protocol/${mod}.js`);
      expect(r.status, mod).toBe(200);
      expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(r.body).toBe(readFileSync(`${PROTOCOL_DIR}/${mod}.js`, 'utf8'));
    }
    // The compiled client reaches them through `../../protocol/NAME.js`, which a browser resolves to /protocol/.
    expect(readFileSync(`${CLIENT_DIR}/session.js`, 'utf8')).toContain("from '../../protocol/serialize.js'");
    for (const mod of ['parse', 'schema', 'validators', 'index', 'log', 'token-bucket']) {
      expect((await fetchRaw('GET', `/protocol/${mod}.js`)).status, mod).toBe(404);
    }
  });

  it('HEAD gives the headers and length without a body', async () => {
    const get = await fetchRaw('GET', '/joystick.css');
    const head = await fetchRaw('HEAD', '/joystick.css');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.headers.etag).toBe(get.headers.etag);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await fetchRaw('GET', '/');
    const again = await fetchRaw('GET', '/', { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const other = await fetchRaw('GET', '/', { 'if-none-match': '"something-else"' });
    expect(other.status).toBe(200);
  });

  it('declines everything else (the relay answers 404)', async () => {
    const paths = [
      '/nope',
      '/client/../assets.js',
      '/client/%2e%2e/index.js',
      '/client/main.ts',
      '/client/main.js.map',
      '/client/Main.js',
      '/static/index.html',
      '/src/web/static/index.html',
      '/healthz-not-mine',
      '//etc/passwd',
    ];
    for (const path of paths) {
      const r = await fetchRaw('GET', path);
      expect(r.status, path).toBe(404);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      expect((await fetchRaw(method, '/')).status, method).toBe(404);
    }
  });
});
