/**
 * The `--redis` URL: checked once, and a form safe to print. A URL may carry a password
 * (redis://:secret@host:6379, rediss://user:secret@host), which must never reach stdout, stderr or the log.
 */
export interface RedisTarget {
  /** The URL as given: handed to the client only, never printed. */
  readonly url: string;
  /** scheme://host:port/db, without user or password. */
  readonly label: string;
  readonly tls: boolean;
}

/** Why a --redis value is unusable, or undefined when it is fine. */
export function redisUrlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `--redis must be a URL such as redis://HOST:6379 or rediss://:PASSWORD@HOST:6380, got ${JSON.stringify(redact(text))}`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `--redis must start with redis:// or rediss://, got ${u.protocol}//`;
  if (u.hostname === '') return '--redis needs a host, as in redis://HOST:6379';
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) return `--redis: the path must be a database number (redis://HOST:6379/0), got /${db}`;
  return undefined;
}

export function redisTarget(url: string): RedisTarget {
  const u = new URL(url);
  const port = u.port === '' ? '6379' : u.port;
  const db = u.pathname.replace(/^\//, '');
  return { url, label: `${u.protocol}//${u.hostname}:${port}${db === '' ? '' : `/${db}`}`, tls: u.protocol === 'rediss:' };
}

/** Best effort for text that did not even parse as a URL: anything between :// and @ goes. */
function redact(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}

/** Takes a URL's credentials out of any text (an error message from the client, say) before it is printed. */
export function scrubSecrets(text: string, target: RedisTarget): string {
  let out = text.split(target.url).join(target.label);
  const u = new URL(target.url);
  for (const secret of [u.password, decodeOr(u.password)]) if (secret.length >= 1) out = out.split(secret).join('***');
  return redact(out);
}

/** A password as typed may hold a % that is no escape. */
function decodeOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
