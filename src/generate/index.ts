/** `tdcrowd generate`: options in, Python files for TouchDesigner out. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkWritableFolder, describeFsError } from '../common/writable.js';
import { renderScripts, type RenderedScript } from './render.js';
import { GenerateOptionsError, type GenerateOptions } from './options.js';

export {
  DEFAULT_OPTIONS,
  DEFAULT_PORTS,
  TARGETS,
  channelNames,
  DEFAULT_OUT_DIR,
  EXTRA_COLUMNS,
  GenerateOptionsError,
  resolveOptions,
  readConfig,
  OPTION_FLAGS,
  type GenerateOptions,
  type GenerateTarget,
  type RawOptions,
} from './options.js';
export {
  renderScripts,
  renderContext,
  compileTemplate,
  headerLines,
  scriptsFor,
  CALLBACKS,
  PROTOCOL_CONTEXT,
  SCRIPTS,
  TEMPLATE_FILES,
  partialSources,
  type RenderedScript,
} from './render.js';
export { pyLiteral, pyString } from './python-literal.js';
export { DEFAULT_TABLE_HZ, MAX_TABLE_HZ, type SinkEncoding } from './columns-options.js';

/** Renders everything first, then writes: a rendering failure leaves the directory untouched. */
export function writeScripts(outDir: string, options: GenerateOptions): RenderedScript[] {
  const scripts = renderScripts(options);
  try {
    checkWritableFolder(outDir);
    mkdirSync(outDir, { recursive: true });
    for (const s of scripts) writeFileSync(join(outDir, s.file), s.text);
  } catch (err) {
    throw new GenerateOptionsError(`--out ${outDir}: cannot write the scripts: ${describeFsError(err)}`, { cause: err });
  }
  return scripts;
}
