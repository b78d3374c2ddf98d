/** Where things are: the repository root, and the built CLI the end-to-end tests spawn (`npm run build` first). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Fails with the fix when dist/ has not been built (`npm test` builds it; a single test file run may not). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
}
