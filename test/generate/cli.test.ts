/** `tdcrowd generate` as users run it: exit codes, messages, no files on error, determinism, committed td/. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { hasPython } from '../helpers/requirements.js';
import { CLI, requireBuiltCli, ROOT } from '../helpers/paths.js';

let tmp: string;

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'generate', ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(join(tmpdir(), 'tdcrowd-gen-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tdcrowd generate', () => {
  it('with defaults writes exactly the committed td/ files, byte for byte (td/ is not stale)', () => {
    const out = join(tmp, 'defaults');
    const r = run(['--out', out]);
    expect(r.code).toBe(0);
    const generated = readdirSync(out).sort();
    expect(generated).toEqual(['execute.py', 'install.py', 'script_chop.py', 'websocket_callbacks.py']);
    const committed = readdirSync(join(ROOT, 'td')).filter((f) => f.endsWith('.py')).sort();
    expect(committed).toEqual(generated);
    for (const f of generated) {
      expect(readFileSync(join(out, f)), `td/${f} is stale: run \`npx tdcrowd generate\``).toEqual(readFileSync(join(ROOT, 'td', f)));
    }
  });

  it('is deterministic and names the version and every option in a header', () => {
    const args = ['--table', 'crowd', '--timeout', '4.5', '--invert-y', '--normalize', '--batch-hz', '15', '--sink-token', 'tok_1234567890abcdef'];
    expect(run(['--out', join(tmp, 'a'), ...args]).code).toBe(0);
    expect(run(['--out', join(tmp, 'b'), ...args]).code).toBe(0);
    for (const f of ['websocket_callbacks.py', 'execute.py', 'script_chop.py', 'install.py']) {
      const a = readFileSync(join(tmp, 'a', f), 'utf8');
      expect(a).toBe(readFileSync(join(tmp, 'b', f), 'utf8'));
      const header = a.split('\n').slice(0, 20).join('\n');
      expect(header).toContain(`tdcrowd ${VERSION}`);
      expect(header).toContain("--table = 'crowd'");
      expect(header).toContain('--timeout = 4.5');
      expect(header).toContain('--invert-y = True');
      expect(header).toContain('--normalize = True');
      expect(header).toContain('--batch-hz = 15');
      expect(header).toContain("--sink-token = '(set)'");
      expect(header).not.toContain('tok_1234567890abcdef'); // the secret is not advertised in the header
      expect(header).toContain("--columns = 'user,valuex,valuey,speed,angle'");
    }
  });

  const bad: [string, string[], RegExp][] = [
    ['table starting with a digit', ['--table', '1table'], /--table must be a TouchDesigner operator name/],
    ['table with a quote', ['--table', "t'; import os #"], /--table must be a TouchDesigner operator name/],
    ['table with a path', ['--table', '../x'], /--table/],
    ['empty table', ['--table', ''], /--table/],
    ['four columns', ['--columns', 'a,b,c,d'], /--columns needs exactly 5/],
    ['six columns', ['--columns', 'a,b,c,d,e,f'], /--columns needs exactly 5/],
    ['column with a space', ['--columns', 'a,b c,d,e,f'], /not a valid column name/],
    ['column with a newline', ['--columns', 'a,b\nc,d,e,f'], /not a valid column name/],
    ['duplicate columns', ['--columns', 'a,a,b,c,d'], /distinct/],
    ['negative timeout', ['--timeout', '-1'], /--timeout must be >= 0/],
    ['non-numeric timeout', ['--timeout', 'ten'], /--timeout must be a number/],
    ['infinite timeout', ['--timeout', 'Infinity'], /--timeout must be a number/],
    ['unknown mode', ['--mode', 'mesh'], /--mode must be route or broadcast/],
    ['zero batch rate', ['--batch-hz', '0'], /--batch-hz must be from 1 to 240/],
    ['a batch rate below one a second', ['--batch-hz', '0.05'], /--batch-hz must be from 1 to 240/],
    ['huge batch rate', ['--batch-hz', '1000'], /--batch-hz/],
    ['token in broadcast mode', ['--mode', 'broadcast', '--sink-token', 'abcdefghijklmnop'], /only --mode route/],
    ['a token shorter than the relay accepts', ['--sink-token', 'abc'], /--sink-token must be a string of 16-256 characters/],
    ['over-long token', ['--sink-token', 'x'.repeat(300)], /--sink-token must be a string of 16-256/],
    ['websocket DAT name', ['--websocket-dat', 'web socket'], /--websocket-dat/],
    ['callbacks DAT same as table', ['--callbacks-dat', 'test_test'], /must name different operators/],
    ['execute DAT same as the WebSocket DAT', ['--execute-dat', 'websocket1'], /must name different operators/],
    ['Script CHOP same as the table', ['--script-chop', 'test_test'], /must name different operators/],
    ['Script CHOP whose callbacks DAT is the execute DAT', ['--script-chop', 'x', '--execute-dat', 'x_callbacks'], /must name different operators/],
    ['a column named active', ['--columns', 'user,active,y,s,a'], /'active' is the Script CHOP's own channel/],
    ['an unknown target', ['--target', 'udp'], /--target must be one of websocket, webserver, osc/],
    ['an unknown extra column', ['--extra-columns', 'slot,size'], /"size" is not one of slot, hue/],
    ['an extra column twice', ['--extra-columns', 'slot,slot'], /slot is listed twice/],
    ['an extra column among the five', ['--columns', 'slot,x,y,s,a', '--extra-columns', 'slot'], /already one of --columns/],
    ['a URL as host', ['--host', 'ws://10.0.0.1:8080'], /--host must be a host name or IP address/],
    ['port 0', ['--port', '0'], /--port must be an integer from 1 to 65535/],
    ['a fractional port', ['--port', '80.5'], /--port must be an integer/],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} with exit 2, a clear message and no files`, () => {
      const out = join(tmp, `bad-${what.replace(/\W+/g, '-')}`);
      const r = run(['--out', out, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('reads --config JSON (flag names or camelCase); flags override it; unknown keys and bad JSON are usage errors', () => {
    const cfg = join(tmp, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ table: 'from_config', 'invert-y': true, batchHz: 12, columns: ['i', 'a', 'b', 'c', 'd'] }));
    const out = join(tmp, 'cfg-out');
    expect(run(['--out', out, '--config', cfg, '--table', 'from_flag']).code).toBe(0);
    const text = readFileSync(join(out, 'websocket_callbacks.py'), 'utf8');
    expect(text).toContain("TABLE = 'from_flag'");
    expect(text).toContain('INVERT_Y = True');
    expect(text).toContain('BATCH_HZ = 12');
    expect(text).toContain("COLUMNS = ('i', 'a', 'b', 'c', 'd', )");
    writeFileSync(cfg, JSON.stringify({ tabel: 'typo' }));
    let r = run(['--out', join(tmp, 'cfg-bad'), '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option "tabel"/);
    writeFileSync(cfg, '{not json');
    r = run(['--out', join(tmp, 'cfg-bad'), '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--config/);
    writeFileSync(cfg, JSON.stringify({ timeout: -5 }));
    r = run(['--out', join(tmp, 'cfg-bad'), '--config', cfg]);
    expect(r.code).toBe(2);
    expect(existsSync(join(tmp, 'cfg-bad'))).toBe(false);
  });

  it.skipIf(!hasPython())('output compiles under python3 for every combination of modes and switches', () => {
    const combos = [
      [],
      ['--mode', 'broadcast'],
      ['--invert-y', '--normalize', '--timeout', '0'],
      ['--sink-token', 'a"b\'c\\d\n""" and more', '--batch-hz', '2.5', '--columns', 'A,B,C,D,E', '--table', '_t'],
      ['--target', 'webserver', '--extra-columns', 'slot,hue', '--port', '9980'],
      ['--target', 'osc', '--normalize', '--invert-y', '--oscin-dat', 'crowd_osc'],
      ['--encoding', 'f32-columns', '--batch-hz', '60', '--table-hz', '0', '--extra-columns', 'slot,hue', '--normalize'],
    ];
    combos.forEach((args, i) => {
      const out = join(tmp, `compile-${i}`);
      expect(run(['--out', out, ...args]).code).toBe(0);
      const callbacks = args.includes('webserver') ? 'webserver_callbacks.py' : args.includes('osc') ? 'oscin_callbacks.py' : 'websocket_callbacks.py';
      expect(readdirSync(out).sort()).toEqual([callbacks, 'execute.py', 'install.py', 'script_chop.py'].sort());
      for (const f of [callbacks, 'execute.py', 'script_chop.py', 'install.py']) {
        execFileSync('python3', ['-c', 'import sys, ast; ast.parse(open(sys.argv[1]).read(), sys.argv[1], feature_version=(3, 11)); compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', join(out, f)]);
      }
    });
  }, 120_000); // some thirty python3 and node processes: past 30 s on a loaded 2-core machine
});
