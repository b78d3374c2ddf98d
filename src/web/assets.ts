/**
 * The page's files: static ones from src/web/static (tsc does not copy them), the compiled client from
 * dist/web/client, and the browser-safe protocol modules it imports from dist/protocol (served at /protocol/,
 * where the client's `../../protocol/NAME.js` imports resolve in the browser). Paths are resolved from this
 * module's location, which is two levels below the package root both as source (src/web) and compiled
 * (dist/web), so it works from a checkout, from dist/ and from npm.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const CLIENT_ROUTE = /^\/client\/([a-z][a-z0-9-]*)\.js$/;
const PROTOCOL_ROUTE = /^\/protocol\/([a-z][a-z0-9-]*)\.js$/;

export type Lookup = { found: true; asset: Asset } | { found: false; missingBuild?: string };

const cache = new Map<string, Asset>();

function load(file: string, type: string, cacheControl: string): Asset | undefined {
  const hit = cache.get(file);
  if (hit) return hit;
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch {
    return undefined;
  }
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
  const asset: Asset = { body, contentType: type, etag, cache: cacheControl };
  cache.set(file, asset);
  return asset;
}

/** Find the asset for a URL path (query already stripped). */
export function lookupAsset(path: string): Lookup {
  const route = STATIC_ROUTES[path];
  if (route) {
    const asset = load(join(STATIC_DIR, route.file), route.type, route.cache);
    return asset ? { found: true, asset } : { found: false };
  }
  const m = CLIENT_ROUTE.exec(path);
  if (m) {
    const asset = load(join(CLIENT_DIR, `${m[1]}.js`), 'text/javascript; charset=utf-8', ASSET_CACHE);
    if (asset) return { found: true, asset };
    // main.js missing means the client was never compiled: say how to fix it instead of a bare 404.
    return m[1] === 'main' ? { found: false, missingBuild: 'the joystick page is not built: run `npm run build`' } : { found: false };
  }
  const p = PROTOCOL_ROUTE.exec(path);
  if (p && BROWSER_PROTOCOL_MODULES.includes(p[1]!)) {
    const asset = load(join(PROTOCOL_DIR, `${p[1]}.js`), 'text/javascript; charset=utf-8', ASSET_CACHE);
    if (asset) return { found: true, asset };
  }
  return { found: false };
}

/** Forget loaded files (tests that rebuild; never needed in production). */
export function clearAssetCache(): void {
  cache.clear();
}
