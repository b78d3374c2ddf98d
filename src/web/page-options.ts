/**
 * The page settings of `tdcrowd relay` (`--title`, `--instructions`, `--accent`, `--logo FILE`, `--static DIR`):
 * checked, and the logo read, before the relay listens, so a typo is one line on stderr instead of a broken page.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { UserError } from '../common/user-error.js';
import { ACCENT_PATTERN, DEFAULT_BRANDING, type Logo, type PageBranding } from './branding.js';

export interface PageSettings {
  title?: string;
  instructions?: string;
  /** #rgb or #rrggbb. */
  accent?: string;
  /** A PNG, SVG, JPEG or WebP file. */
  logo?: string;
  /** The artist's own page: a directory served at / instead of the joystick page. */
  staticDir?: string;
}

export interface ResolvedPage {
  readonly branding: PageBranding;
  /** Real path (symlinks resolved) of --static DIR. */
  readonly staticDir?: string;
}

export class PageOptionsError extends UserError {
  override name = 'PageOptionsError';
}

export const MAX_TITLE_CHARS = 120;
export const MAX_INSTRUCTIONS_CHARS = 600;
/** A logo is loaded by every phone at once when doors open: keep it small. */
export const MAX_LOGO_BYTES = 512 * 1024;

const LOGO_TYPES: Record<string, { type: string; looksRight: (b: Buffer) => boolean }> = {
  '.png': { type: 'image/png', looksRight: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  '.jpg': { type: 'image/jpeg', looksRight: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  '.jpeg': { type: 'image/jpeg', looksRight: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  '.webp': { type: 'image/webp', looksRight: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  '.svg': { type: 'image/svg+xml', looksRight: (b) => /<svg[\s>]/i.test(b.toString('utf8', 0, Math.min(b.length, 4096))) },
};

function fail(message: string): never {
  throw new PageOptionsError(message);
}

function text(flag: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(`${flag} must be text`);
  const t = value.trim();
  if (t.length > max) fail(`${flag} is ${t.length} characters; at most ${max} fit on a phone`);
  // Control characters other than line breaks have no business on a page (and hide from the person checking it).
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(t)) fail(`${flag} contains control characters`);
  return t;
}

export function readLogo(file: string): Logo {
  const ext = extname(file).toLowerCase();
  const kind = LOGO_TYPES[ext];
  if (kind === undefined) fail(`--logo ${file}: use a .png, .svg, .jpg or .webp file`);
  let body: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile()) fail(`--logo ${file} is not a file`);
    if (st.size > MAX_LOGO_BYTES) fail(`--logo ${file} is ${Math.ceil(st.size / 1024)} KiB; at most ${MAX_LOGO_BYTES / 1024} KiB (every phone loads it at once)`);
    body = readFileSync(file);
  } catch (err) {
    if (err instanceof PageOptionsError) throw err;
    fail(`--logo ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!kind.looksRight(body)) fail(`--logo ${file} does not look like a ${ext.slice(1).toUpperCase()} file`);
  return { body, type: kind.type };
}

function staticDirectory(dir: string): string {
  if (typeof dir !== 'string' || dir.length === 0) fail('--static needs a directory');
  let real: string;
  try {
    real = realpathSync(resolve(dir));
  } catch (err) {
    fail(`--static ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`);
  }
  if (!statSync(real).isDirectory()) fail(`--static ${dir} is not a directory`);
  return real;
}

export function resolvePageSettings(settings: PageSettings = {}): ResolvedPage {
  const title = text('--title', settings.title, MAX_TITLE_CHARS);
  const instructions = text('--instructions', settings.instructions, MAX_INSTRUCTIONS_CHARS);
  const accent = settings.accent?.trim();
  if (accent !== undefined && !ACCENT_PATTERN.test(accent)) fail(`--accent must be a hex colour such as #ff6600 or #f60, got ${JSON.stringify(settings.accent)}`);
  const branding: PageBranding = {
    title: title === undefined || title === '' ? DEFAULT_BRANDING.title : title,
    instructions: instructions ?? DEFAULT_BRANDING.instructions,
    accent: accent ?? DEFAULT_BRANDING.accent,
    ...(settings.logo === undefined ? {} : { logo: readLogo(settings.logo) }),
  };
  return settings.staticDir === undefined ? { branding } : { branding, staticDir: staticDirectory(settings.staticDir) };
}
