/**
 * The joystick page, mounted by the relay: it calls handlePageRequest for every HTTP request and answers 404
 * itself when this returns false.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLIENT_MODULE_PATH, DEFAULT_DIRS, pageAssets, PageAssets } from './assets.js';
import { BRAND_CSS_PATH, LOGO_PATH } from './branding.js';
import { SECURITY_HEADERS } from './headers.js';
import { resolvePageSettings, type PageSettings, type ResolvedPage } from './page-options.js';
import { serveStatic } from './static-site.js';

export { CONTENT_SECURITY_POLICY } from './headers.js';
export { CLIENT_MODULE_PATH, loadPage, PageAssets, type AssetDirs, type ReadFile } from './assets.js';
export { DEFAULT_BRANDING, escapeHtml, type PageBranding } from './branding.js';
export { PageOptionsError, resolvePageSettings, type PageSettings, type ResolvedPage } from './page-options.js';
export { STATIC_SITE_CSP } from './static-site.js';

/** One line for the relay's banner when the page is not the plain joystick page. */
export function describePage(page: PageSettings | undefined): string | undefined {
  if (page?.staticDir !== undefined) return `your own from ${page.staticDir} (with /tdcrowd-client.js)`;
  if (page?.title !== undefined) return `the joystick page titled ${JSON.stringify(page.title)}`;
  return undefined;
}

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Paths tdcrowd serves itself even in front of an artist's page: the client module and what it imports. */
function isTdcrowdPath(path: string): boolean {
  return path === CLIENT_MODULE_PATH || path === LOGO_PATH || path === BRAND_CSS_PATH || path.startsWith('/client/') || path.startsWith('/protocol/');
}

/**
 * The page the relay serves: the joystick page with this branding, or (`staticDir`) the artist's own page with
 * tdcrowd's client module beside it. Every file of the joystick page is read now (see PageAssets).
 */
export function createPageHandler(page: ResolvedPage | PageSettings = {}): PageHandler {
  const resolved: ResolvedPage = 'branding' in page ? (page as ResolvedPage) : resolvePageSettings(page as PageSettings);
  const assets = new PageAssets(DEFAULT_DIRS, undefined, undefined, resolved.branding);
  const root = resolved.staticDir;
  if (root === undefined) return (req, res) => handlePageRequest(req, res, assets);
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = pathOf(req.url);
    if (path === undefined) return false;
    if (isTdcrowdPath(path)) return handlePageRequest(req, res, assets);
    serveStatic(req, res, root, path, resolved.branding).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
      else res.destroy(err as Error);
    });
    return true;
  };
}

/**
 * Serves the joystick page and its assets (GET and HEAD). Returns true when it answered the request: with the
 * asset, or 503 when the asset exists but cannot be read (never 404 for a known asset).
 */
export function handlePageRequest(req: IncomingMessage, res: ServerResponse, assets: PageAssets = pageAssets()): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = pathOf(req.url);
  if (path === undefined) return false;
  const lookup = assets.lookup(path);
  const head = req.method === 'HEAD';

  if (!lookup.found) {
    if (lookup.unavailable === undefined) return false;
    const body = Buffer.from(`${lookup.unavailable}\n`);
    res.writeHead(503, {
      ...SECURITY_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    res.end(head ? undefined : body);
    return true;
  }

  const { asset } = lookup;
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': asset.contentType,
    'cache-control': asset.cache,
    etag: asset.etag,
  };
  if (etagMatches(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'content-length': asset.body.length });
  res.end(head ? undefined : asset.body);
  return true;
}

/** The URL's path without query or fragment; undefined for anything that is not an origin-form path. */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined || url[0] !== '/') return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  return value.split(',').some((tag) => {
    const t = tag.trim();
    return t === etag || t === `W/${etag}` || t === '*';
  });
}
