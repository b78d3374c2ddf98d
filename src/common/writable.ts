/**
 * Checks that an output path can be written before any work starts (a simulation must not run for minutes and
 * then lose its results to a typo in `--html`), and words file-system errors so a user can act on them.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/** "permission denied (EACCES)", or the error's own message for codes without words here. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code === undefined ? undefined : REASONS[e.code];
  return reason === undefined ? e.message : `${reason} (${e.code})`;
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * Throws the system error (ENOENT, ENOTDIR, EISDIR, EACCES, …) when `path` could not be created or overwritten
 * as a file. Creates and changes nothing.
 */
export function checkWritableFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const dir = dirname(resolve(path));
    if (!statSync(dir).isDirectory()) throw fsError('ENOTDIR', `${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
    return;
  }
  if (st.isDirectory()) throw fsError('EISDIR', `${path} is a folder`);
  accessSync(path, constants.W_OK);
}

/** Throws when `path` exists and is not a folder, or when the folder (or the nearest existing parent) is not writable. */
export function checkWritableFolder(path: string): void {
  let p = resolve(path);
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw err;
      const parent = dirname(p);
      if (parent === p) throw err;
      p = parent;
      continue;
    }
    if (!st.isDirectory()) throw fsError(p === resolve(path) ? 'EEXIST' : 'ENOTDIR', `${p} is a file, not a folder`);
    accessSync(p, constants.W_OK);
    return;
  }
}
