/**
 * `relay --static DIR` over plain HTTP against a real relay: files under DIR only (no `..`, encoded or not, no
 * absolute paths, no dotfiles, no symlink out of DIR), content types, the static page's own CSP, the client module
 * always from tdcrowd, and --title/--instructions escaped into the artist's HTML.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RelayHandle } from '../../src/relay/index.js';
import { CONTENT_SECURITY_POLICY, STATIC_SITE_CSP } from '../../src/web/index.js';
import { staticPathFor } from '../../src/web/static-site.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let relay: RelayHandle;
let port = 0;
const base = mkdtempSync(join(tmpdir(), 'tdcrowd-static-'));
const site = join(base, 'site');
const SECRET = 'the secret outside the site';

/** The path goes on the wire exactly as given (fetch would normalise `..` away). */
function raw(path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(join(site, 'sub'), { recursive: true });
  writeFileSync(join(base, 'secret.txt'), SECRET);
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>{{title}}</title><h1>{{title}}</h1><p>{{instructions}}</p><script type="module" src="app.js"></script>');
  writeFileSync(join(site, 'app.js'), "import { connect } from '/tdcrowd-client.js'; connect();");
  writeFileSync(join(site, 'style.css'), 'body { color: red }');
  writeFileSync(join(site, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(join(site, 'data.bin'), 'x');
  writeFileSync(join(site, '.env'), 'TOKEN=1');
  writeFileSync(join(site, 'tdcrowd-client.js'), 'export const fake = true;');
  symlinkSync(join(base, 'secret.txt'), join(site, 'link-out.txt'));
  symlinkSync(base, join(site, 'dir-out'));
  symlinkSync(join(site, 'style.css'), join(site, 'link-in.css'));
  relay = await startRelay({
    port: 0,
    host: '127.0.0.1',
    quiet: true,
    page: { staticDir: site, title: '</title><script>alert(1)</script>', instructions: 'Tap & "hold"' },
  });
  port = relay.port;
});

afterAll(async () => {
  await relay?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('--static DIR', () => {
  it('serves the artist\'s index.html at / with the title and instructions escaped and its own CSP', async () => {
    for (const path of ['/', '/index.html', '/?x=1']) {
      const r = await raw(path);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toBe(STATIC_SITE_CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.body).toContain('<h1>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
      expect(r.body).toContain('<p>Tap &amp; &quot;hold&quot;</p>');
      expect(r.body).not.toContain('<script>alert');
    }
    expect(STATIC_SITE_CSP).toContain("script-src 'self'");
    expect(STATIC_SITE_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(STATIC_SITE_CSP).toContain("frame-ancestors 'none'");
  });

  it('serves files under DIR with their content types; a folder means its index.html', async () => {
    const cases: Array<[string, string, string]> = [
      ['/app.js', 'text/javascript; charset=utf-8', 'connect()'],
      ['/style.css', 'text/css; charset=utf-8', 'color: red'],
      ['/sub/', 'text/html; charset=utf-8', '<p>sub</p>'],
      ['/sub', 'text/html; charset=utf-8', '<p>sub</p>'],
      ['/data.bin', 'application/octet-stream', 'x'],
      ['/link-in.css', 'text/css; charset=utf-8', 'color: red'], // a link that stays inside DIR is fine
    ];
    for (const [path, type, text] of cases) {
      const r = await raw(path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toBe(type);
      expect(r.body, path).toContain(text);
    }
    const head = await raw('/style.css', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('19');
  });

  it('serves nothing outside DIR: .., encoded %2e%2e and %2f, backslashes, absolute paths, dotfiles, links out', async () => {
    const attempts = [
      '/../secret.txt',
      '/sub/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      `/${base}/secret.txt`,
      `/%2f${base.slice(1)}/secret.txt`,
      `//${base.slice(1)}/secret.txt`,
      '/.env',
      '/%2eenv',
      '/link-out.txt',
      '/dir-out/secret.txt',
      '/%00',
      '/%E0%A4%A',
      '/missing.html',
    ];
    for (const path of attempts) {
      const r = await raw(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain(SECRET);
      expect(r.body, path).not.toContain('TOKEN');
    }
  });

  it('the path check alone refuses what the HTTP test cannot send as is', () => {
    expect(staticPathFor(site, '/a/../../x')).toBeUndefined();
    expect(staticPathFor(site, 'relative')).toBeUndefined();
    expect(staticPathFor(site, '/ok.js')).toBe(join(site, 'ok.js'));
    expect(staticPathFor(site, '/')).toBe(site);
  });

  it('serves /tdcrowd-client.js and what it imports from tdcrowd, whatever DIR holds', async () => {
    const shim = await raw('/tdcrowd-client.js');
    expect(shim.status).toBe(200);
    expect(shim.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(shim.body).toContain("export * from './client/tdcrowd-client.js'");
    expect(shim.body).not.toContain('fake');
    const mod = await raw('/client/tdcrowd-client.js');
    expect(mod.status).toBe(200);
    expect(mod.body).toContain('export function connect');
    expect(mod.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    for (const path of ['/client/controller.js', '/protocol/constants.js', '/protocol/serialize.js']) {
      expect((await raw(path)).status, path).toBe(200);
    }
  });

  it('keeps /healthz and refuses to write', async () => {
    expect((await raw('/healthz')).status).toBe(200);
    expect((await raw('/', 'POST')).status).toBe(404);
  });
});
