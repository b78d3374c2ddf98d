/**
 * The page's files: static ones from src/web/static (tsc does not copy them), the compiled client from
 * dist/web/client, and the browser-safe protocol modules it imports from dist/protocol (served at /protocol/,
 * where the client's `../../protocol/NAME.js` imports resolve in the browser). Paths are resolved from this
 * module's location, which is two levels below the package root both as source (src/web) and compiled
 * (dist/web), so it works from a checkout, from dist/ and from npm.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRAND_CSS_PATH, brandCss, DEFAULT_BRANDING, LOGO_PATH, renderBrandedHtml, type PageBranding } from './branding.js';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  /** Cache-Control value. */
  readonly cache: string;
}

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STATIC_DIR = join(PACKAGE_ROOT, 'src', 'web', 'static');
export const CLIENT_DIR = join(PACKAGE_ROOT, 'dist', 'web', 'client');
export const PROTOCOL_DIR = join(PACKAGE_ROOT, 'dist', 'protocol');

/**
 * The protocol modules the page may load: those with no Node import (test/architecture/imports.test.ts checks the
 * page's import graph stays within these and the client; tsconfig.web.json type-checks it without Node's types).
 */
export const BROWSER_PROTOCOL_MODULES: readonly string[] = ['constants', 'close-codes', 'serialize', 'user-key'];

// The HTML is revalidated on every load so a relay upgrade reaches phones at once; the rest may be reused for
// a minute (a crowd joining at once then costs one request per phone per file at most).
const HTML_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=60, must-revalidate';

/** URL path → file. Anything not listed here is not served (no directory walking, no traversal). */
const STATIC_ROUTES: Record<string, { file: string; type: string; cache: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8', cache: HTML_CACHE },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8', cache: HTML_CACHE },
  '/joystick.css': { file: 'joystick.css', type: 'text/css; charset=utf-8', cache: ASSET_CACHE },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml', cache: ASSET_CACHE },
};


/**
 * `found: false` with `unavailable`: the asset exists but cannot be served now (503 with that text); without it,
 * there is no such asset (404).
 */
export type Lookup = { found: true; asset: Asset } | { found: false; unavailable?: string };

export interface AssetDirs {
  static: string;
  client: string;
  protocol: string;
}

export const DEFAULT_DIRS: Readonly<AssetDirs> = Object.freeze({ static: STATIC_DIR, client: CLIENT_DIR, protocol: PROTOCOL_DIR });

/** Reads a file whole; injectable so tests can make reads fail like a process out of file descriptors. */
export type ReadFile = (path: string) => Buffer;

const NOT_BUILT = 'the joystick page is not built: run `npm run build`';

interface Route {
  file: string;
  type: string;
  cache: string;
  /** The file as read → what is served (index.html gets the title and instructions). */
  transform?: (body: Buffer) => Buffer;
  /** Made in memory, not read from a file. */
  body?: Buffer;
}

/** Where an artist's page (or anyone) imports the page's client logic from; see tdcrowd-client.ts. */
export const CLIENT_MODULE_PATH = '/tdcrowd-client.js';

/**
 * `/tdcrowd-client.js` re-exports the compiled module from /client/, so its own relative imports (the protocol
 * modules, the connection) resolve where they are served; no bundler, no build step beyond tsc.
 */
const CLIENT_MODULE_SHIM = Buffer.from(
  "// tdcrowd's browser client: connect(), send({ x, y }), release(), on('status' | 'notice' | 'sent'). See src/web/README.md.\n" +
    "export * from './client/tdcrowd-client.js';\n",
);

/**
 * Every file the page may serve, read once when the relay starts, so serving the page never touches the disk:
 * a relay short of file descriptors (a flood of half-open connections) still serves it. A file that could not
 * be read at start is tried again when asked for; while it still cannot be read the answer is 503 with the
 * reason, never 404.
 */
export class PageAssets {
  private readonly routes = new Map<string, Route>();
  private readonly loaded = new Map<string, Asset>();
  /** Files that could not be read, with why (e.g. "EMFILE"). */
  readonly failed = new Map<string, string>();

  constructor(
    dirs: AssetDirs = DEFAULT_DIRS,
    private readonly read: ReadFile = readFileSync,
    list: (dir: string) => string[] = readdirSync,
    readonly branding: PageBranding = DEFAULT_BRANDING,
  ) {
    const branded = (body: Buffer): Buffer => Buffer.from(renderBrandedHtml(body.toString('utf8'), branding));
    for (const [path, r] of Object.entries(STATIC_ROUTES)) {
      this.routes.set(path, { ...r, file: join(dirs.static, r.file), ...(r.file === 'index.html' && { transform: branded }) });
    }
    this.routes.set(BRAND_CSS_PATH, { file: BRAND_CSS_PATH, type: 'text/css; charset=utf-8', cache: HTML_CACHE, body: Buffer.from(brandCss(branding)) });
    this.routes.set(CLIENT_MODULE_PATH, { file: CLIENT_MODULE_PATH, type: 'text/javascript; charset=utf-8', cache: ASSET_CACHE, body: CLIENT_MODULE_SHIM });
    if (branding.logo !== undefined) {
      this.routes.set(LOGO_PATH, { file: LOGO_PATH, type: branding.logo.type, cache: HTML_CACHE, body: branding.logo.body });
    }
    let clientFiles: string[] = [];
    try {
      clientFiles = list(dirs.client).filter((f) => /^[a-z][a-z0-9-]*\.js$/.test(f));
    } catch {
      // not built: /client/main.js answers with how to fix it
    }
    // main.js is always a route: when it is missing the answer says how to build it.
    for (const f of new Set([...clientFiles, 'main.js'])) {
      this.routes.set(`/client/${f}`, { file: join(dirs.client, f), type: 'text/javascript; charset=utf-8', cache: ASSET_CACHE });
    }
    for (const m of BROWSER_PROTOCOL_MODULES) {
      this.routes.set(`/protocol/${m}.js`, { file: join(dirs.protocol, `${m}.js`), type: 'text/javascript; charset=utf-8', cache: ASSET_CACHE });
    }
    for (const path of this.routes.keys()) this.load(path);
  }

  /** Find the asset for a URL path (query already stripped). */
  lookup(path: string): Lookup {
    const hit = this.loaded.get(path);
    if (hit !== undefined) return { found: true, asset: hit };
    if (!this.routes.has(path)) return { found: false };
    const asset = this.load(path);
    if (asset !== undefined) return { found: true, asset };
    const why = this.failed.get(path) ?? 'EIO';
    return { found: false, unavailable: why === 'ENOENT' ? NOT_BUILT : `the joystick page cannot be read right now (${why}); try again` };
  }

  private load(path: string): Asset | undefined {
    const route = this.routes.get(path)!;
    let body: Buffer;
    try {
      body = route.body ?? this.read(route.file);
      if (route.transform !== undefined) body = route.transform(body);
    } catch (err) {
      this.failed.set(path, (err as NodeJS.ErrnoException).code ?? 'EIO');
      return undefined;
    }
    this.failed.delete(path);
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
    const asset: Asset = { body, contentType: route.type, etag, cache: route.cache };
    this.loaded.set(path, asset);
    return asset;
  }
}

let defaultAssets: PageAssets | undefined;

/** The page as installed, read on first use; the relay reads it at start-up (loadPage). */
export function pageAssets(): PageAssets {
  return (defaultAssets ??= new PageAssets());
}

/** Reads the installed page now (the relay calls this when it starts). */
export function loadPage(): PageAssets {
  return pageAssets();
}

/** Find the asset for a URL path in the installed page. */
export function lookupAsset(path: string): Lookup {
  return pageAssets().lookup(path);
}

/** Forget the loaded page (tests that rebuild; never needed in production). */
export function clearAssetCache(): void {
  defaultAssets = undefined;
}
