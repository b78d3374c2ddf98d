/**
 * Branding without code (issue 13, part 4): --title, --instructions, --accent and --logo reach the page as escaped
 * text, a style sheet and a fixed /logo path; bad values are one line on stderr and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBanner, startRelay, type RelayHandle } from '../../src/relay/index.js';
import { describePage } from '../../src/web/index.js';
import { optionsFromFlags } from '../../src/relay/options.js';
import { brandCss, DEFAULT_BRANDING, escapeHtml, renderBrandedHtml } from '../../src/web/branding.js';
import { MAX_LOGO_BYTES, PageOptionsError, resolvePageSettings } from '../../src/web/page-options.js';
import { CLI, requireBuiltCli } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'tdcrowd-brand-'));
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#f60"/></svg>';

beforeAll(() => {
  writeFileSync(join(dir, 'logo.png'), PNG);
  writeFileSync(join(dir, 'logo.svg'), SVG);
  writeFileSync(join(dir, 'fake.png'), 'not a png');
  writeFileSync(join(dir, 'logo.gif'), 'GIF89a');
  writeFileSync(join(dir, 'huge.png'), Buffer.concat([PNG, Buffer.alloc(MAX_LOGO_BYTES)]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('branding: the template', () => {
  it('escapes the title and instructions, in one pass', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    const html = renderBrandedHtml('<title>{{title}}</title><p>{{instructions}}</p>{{logo}}', {
      ...DEFAULT_BRANDING,
      title: '<script>x</script>{{instructions}}',
      instructions: 'a {{title}}',
    });
    expect(html).toBe('<title>&lt;script&gt;x&lt;/script&gt;{{instructions}}</title><p>a {{title}}</p>');
  });

  it('puts a logo in only when there is one, and the accent only when it is a hex colour', () => {
    expect(renderBrandedHtml('{{logo}}', { ...DEFAULT_BRANDING, logo: { body: PNG, type: 'image/png' } })).toBe('<img id="logo" class="logo" src="/logo" alt="">');
    expect(brandCss({ ...DEFAULT_BRANDING, accent: '#f60' })).toBe(':root { --accent: #f60; }\n');
    expect(() => brandCss({ ...DEFAULT_BRANDING, accent: 'red; } body { display: none' })).toThrow();
  });
});

describe('branding: the settings', () => {
  it('defaults, trimmed values, and logos by type', () => {
    expect(resolvePageSettings({}).branding).toEqual(DEFAULT_BRANDING);
    const r = resolvePageSettings({ title: '  Lights  ', instructions: 'Tilt!', accent: '#FF6600', logo: join(dir, 'logo.svg') });
    expect(r.branding).toMatchObject({ title: 'Lights', instructions: 'Tilt!', accent: '#FF6600' });
    expect(r.branding.logo?.type).toBe('image/svg+xml');
    expect(resolvePageSettings({ logo: join(dir, 'logo.png') }).branding.logo?.type).toBe('image/png');
  });

  it.each([
    [{ accent: 'red' }, /--accent must be a hex colour/],
    [{ accent: '#12345' }, /--accent/],
    [{ title: 'x'.repeat(121) }, /--title is 121 characters/],
    [{ instructions: 'a\u0007b' }, /--instructions contains control characters/],
    [{ logo: join(dir, 'missing.png') }, /--logo .*ENOENT/],
    [{ logo: join(dir, 'logo.gif') }, /--logo .*use a \.png, \.svg, \.jpg or \.webp file/],
    [{ logo: join(dir, 'fake.png') }, /--logo .* does not look like a PNG file/],
    [{ logo: join(dir, 'huge.png') }, /--logo .* KiB; at most 512 KiB/],
    [{ logo: dir + '/' }, /--logo/],
    [{ staticDir: join(dir, 'nope') }, /--static .*: no such directory/],
    [{ staticDir: join(dir, 'logo.png') }, /--static .* is not a directory/],
  ])('refuses %o', (settings, message) => {
    expect(() => resolvePageSettings(settings)).toThrow(PageOptionsError);
    expect(() => resolvePageSettings(settings)).toThrow(message);
  });

  it('the relay flags carry the page settings', () => {
    const o = optionsFromFlags({ host: '127.0.0.1', title: 'T', instructions: 'I', accent: '#abc', logo: join(dir, 'logo.png'), static: dir }, {});
    expect(o.page).toEqual({ title: 'T', instructions: 'I', accent: '#abc', logo: join(dir, 'logo.png'), staticDir: dir });
    expect(() => optionsFromFlags({ accent: 'blue' }, {})).toThrow(/--accent/);
  });

  it('the banner says which page phones get', async () => {
    const base = { host: '127.0.0.1', port: 8080, mode: 'route' as const, version: 't', sinkToken: false, tty: false };
    expect(await renderBanner({ ...base, page: describePage({ staticDir: '/srv/show' }) })).toContain('Page: your own from /srv/show (with /tdcrowd-client.js)\n');
    expect(await renderBanner({ ...base, page: describePage({ title: 'Neon' }) })).toContain('Page: the joystick page titled "Neon"\n');
    expect(await renderBanner({ ...base, page: describePage({}) })).not.toContain('Page:');
  });

  it.each([
    [['--accent', 'blue'], /^tdcrowd: --accent must be a hex colour such as #ff6600 or #f60, got "blue"$/],
    [['--logo', '/nonexistent/logo.png'], /^tdcrowd: --logo \/nonexistent\/logo\.png: ENOENT$/],
    [['--static', '/nonexistent-dir'], /^tdcrowd: --static \/nonexistent-dir: no such directory$/],
  ])('tdcrowd relay %s: one line on stderr, exit 2', (args, says) => {
    requireBuiltCli();
    const r = spawnSync(process.execPath, [CLI, 'relay', '--host', '127.0.0.1', '--port', '0', ...args], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(says);
    expect(r.stdout).not.toContain('Phones join at');
  });
});

describe('branding: what the relay serves', () => {
  let relay: RelayHandle;
  beforeAll(async () => {
    relay = await startRelay({
      port: 0,
      host: '127.0.0.1',
      quiet: true,
      page: { title: '<script>alert(1)</script>', instructions: 'Tilt & steer', accent: '#ff6600', logo: join(dir, 'logo.svg') },
    });
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('the page carries the escaped title and instructions, the logo and the accent style sheet', async () => {
    const page = await fetch(`${relay.httpUrl}/`);
    const html = await page.text();
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<h1 id="title" class="title">&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('<p id="instructions" class="instructions">Tilt &amp; steer</p>');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('<img id="logo" class="logo" src="/logo" alt="">');
    expect(html).toContain('<link rel="stylesheet" href="/brand.css">');

    const css = await fetch(`${relay.httpUrl}/brand.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(':root { --accent: #ff6600; }\n');

    const logo = await fetch(`${relay.httpUrl}/logo`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/svg+xml');
    // An SVG opened on its own runs nothing: the page's CSP (default-src 'none') comes with it.
    expect(logo.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await logo.text()).toBe(SVG);
  });

  it('without a logo there is no /logo and no <img>', async () => {
    const plain = await startRelay({ port: 0, host: '127.0.0.1', quiet: true });
    try {
      expect((await fetch(`${plain.httpUrl}/logo`)).status).toBe(404);
      const html = await (await fetch(`${plain.httpUrl}/`)).text();
      expect(html).not.toContain('<img');
      expect(html).toContain(`<title>${DEFAULT_BRANDING.title}</title>`);
      expect(await (await fetch(`${plain.httpUrl}/brand.css`)).text()).toBe(`:root { --accent: ${DEFAULT_BRANDING.accent}; }\n`);
    } finally {
      await plain.close();
    }
  });
});
