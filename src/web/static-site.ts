/**
 * `relay --static DIR`: the artist's own page, served from DIR and nowhere else. A URL path is decoded once,
 * refused if any segment is `..` or starts with a dot (no `.git`, no `.env`), resolved under DIR, and the real
 * path (symlinks followed) must still be under DIR's real path: a link pointing out of DIR is not served.
 * HTML files get `{{title}}` and `{{instructions}}` (HTML-escaped) and `{{logo}}` filled like the default page.
 */
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { renderBrandedHtml, type PageBranding } from './branding.js';
import { SECURITY_HEADERS } from './headers.js';

/**
 * The artist's page runs its own scripts (files under DIR, never inline), may use inline styles and data: images
 * (common in hand-written pages and harmless without script), and connects only to this relay.
 */
export const STATIC_SITE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

/** HTML is read whole to fill the markers; a page larger than this is not a phone page. */
const MAX_HTML_BYTES = 2 * 1024 * 1024;

export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a URL path names under `root`, or undefined when the path is not acceptable. Lexical only: the caller
 * checks the real path too (symlinks).
 */
export function staticPathFor(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s.startsWith('.'))) return undefined; // `..`, `.`, dotfiles
  const full = resolve(root, `.${decoded}`);
  return full === root || full.startsWith(root + sep) ? full : undefined;
}

function within(root: string, real: string): boolean {
  return real === root || real.startsWith(root + sep);
}

type Found = { file: string; size: number; mtimeMs: number };

/** The real file to serve (a directory means its index.html), or undefined. */
async function locate(root: string, urlPath: string): Promise<Found | undefined> {
  const lexical = staticPathFor(root, urlPath);
  if (lexical === undefined) return undefined;
  try {
    let real = await realpath(lexical);
    if (!within(root, real)) return undefined;
    let st = await stat(real);
    if (st.isDirectory()) {
      real = await realpath(join(real, 'index.html'));
      if (!within(root, real)) return undefined;
      st = await stat(real);
    }
    return st.isFile() ? { file: real, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function plain(res: ServerResponse, status: number, text: string, head: boolean): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

/** Serves GET and HEAD from `root` (a real path); answers every such request itself, 404 included. */
export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string, branding: PageBranding): Promise<void> {
  const head = req.method === 'HEAD';
  const found = await locate(root, urlPath);
  if (found === undefined) {
    plain(res, 404, 'not found', head);
    return;
  }
  const type = contentTypeOf(found.file);
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'content-security-policy': STATIC_SITE_CSP,
    'content-type': type,
    // The artist edits while the relay runs: always revalidate.
    'cache-control': 'no-cache',
  };
  if (type.startsWith('text/html')) {
    if (found.size > MAX_HTML_BYTES) {
      plain(res, 500, `page too large (over ${MAX_HTML_BYTES / 1024 / 1024} MiB)`, head);
      return;
    }
    const body = Buffer.from(renderBrandedHtml(await readFile(found.file, 'utf8'), branding));
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.end(head ? undefined : body);
    return;
  }
  const etag = `W/"${found.size.toString(36)}-${Math.floor(found.mtimeMs).toString(36)}"`;
  headers.etag = etag;
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': found.size });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
