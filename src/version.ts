import { readFileSync } from 'node:fs';

// Read once from package.json so the CLI, the generator header and the relay's /healthz agree.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION: string = pkg.version;
