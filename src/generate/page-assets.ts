/**
 * The joystick page as the relay serves it, for the Web Server DAT target: every file the page loads, found by
 * following its references from `/` through the relay's own page handler (src/web), so the generated Python
 * serves the same bytes the relay would, and a file the page starts to load later is picked up without a list
 * to keep in step here.
 */
import { lookupAsset } from '../web/assets.js';
import { GenerateOptionsError } from './options.js';

export interface PageAsset {
  /** URL path, e.g. /client/main.js ('/' is the page itself). */
  readonly path: string;
  readonly type: string;
  readonly text: string;
}

/** `href="/x"` and `src="/x"` in the HTML; `from './x.js'`, `import './x.js'` and `import('./x.js')` in modules. */
const HTML_REF = /\b(?:href|src)="([^"#?]+)"/g;
const JS_REF = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;

export function pageAssets(): PageAsset[] {
  const out: PageAsset[] = [];
  const seen = new Set<string>();
  const queue = ['/'];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const found = lookupAsset(path);
    if (!found.found) {
      throw new GenerateOptionsError(
        found.unavailable !== undefined
          ? `--target webserver embeds the joystick page, but ${found.unavailable}`
          : `--target webserver: the joystick page refers to ${path}, which the page handler does not serve`,
      );
    }
    const text = found.asset.body.toString('utf8');
    out.push({ path, type: found.asset.contentType, text });
    const refs = found.asset.contentType.startsWith('text/html') ? HTML_REF : found.asset.contentType.startsWith('text/javascript') ? JS_REF : undefined;
    if (refs === undefined) continue;
    for (const m of text.matchAll(refs)) {
      const ref = m[1]!;
      if (/^[a-z]+:/i.test(ref) || ref.startsWith('//')) continue; // another origin: not ours to serve
      queue.push(new URL(ref, `http://page${path}`).pathname);
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
