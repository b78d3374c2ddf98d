/**
 * Benchmark 3 (README, "Benchmarks": generated Python): per-message cost of the generated WebSocket DAT callbacks in the
 * emulator at 10/100/1000/2000 users, against the tutorial's per-message table scan (bench/python/
 * src/emulate/python/baselines/tutorial_callbacks.py) in the same Python process, interleaved. Bars: flat from 10 to 2000 users; ≥ 50×
 * faster than the scan at 1000 users.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mdTable } from './lib/results.mjs';
import { CLI, ROOT } from './lib/servers.mjs';

export const name = 'python';

const FLAT_BAR = 1.5; // "flat": the 2000-user cost within 1.5× of the 10-user cost (noise allowance)
const SPEEDUP_BAR = 50;

export async function run({ quick = false, log }) {
  const out = 'bench/out/python';
  mkdirSync(`${ROOT}${out}/generated`, { recursive: true });
  const genArgs = [CLI, 'generate', '--out', `${out}/generated`];
  execFileSync(process.execPath, genArgs, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const config = {
    impls: {
      // the table path alone, as the tutorial is: the bars compare these two
      generated: { callbacks: `${out}/generated/websocket_callbacks.py`, execute: `${out}/generated/execute.py` },
      // the same scripts with the Script CHOP in the project too (its cook falls in the frame time)
      'generated+chop': {
        callbacks: `${out}/generated/websocket_callbacks.py`,
        execute: `${out}/generated/execute.py`,
        chop: `${out}/generated/script_chop.py`,
      },
      tutorial: { callbacks: 'src/emulate/python/baselines/tutorial_callbacks.py', execute: 'src/emulate/python/baselines/tutorial_execute.py' },
    },
    users: [10, 100, 1000, 2000],
    seconds: quick ? 0.05 : 0.12,
    repeats: quick ? 4 : 20,
    messagesPerFrame: 200,
    deletesPerRepeat: 20,
    cooksPerRepeat: 5,
    seed: 1,
  };
  writeFileSync(`${ROOT}${out}/config.json`, JSON.stringify(config, null, 2));
  const pyPath = `${dirname(CLI.replace(/\/cli\/main\.js$/, ''))}/src/emulate/python`;
  log(`python: ${config.users.join('/')} users, generated vs tutorial scan`);
  const stdout = execFileSync('python3', ['bench/python/per_message_cost.py', `${out}/config.json`], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: pyPath, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  const result = JSON.parse(stdout);
  const commands = [`node ${genArgs.join(' ')}`, `PYTHONPATH=${pyPath} python3 bench/python/per_message_cost.py ${out}/config.json`];
  return { name, markdown: render(result, config, commands), data: result };
}

function render(result, config, commands) {
  const rows = result.rows;
  const get = (users, impl) => rows.find((r) => r.users === users && r.impl === impl);
  const ops = (o) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  const table = rows.map((r) => {
    const gen = get(r.users, 'generated');
    const speedup = r.impl !== 'generated' && gen ? `${(r.updateUs / gen.updateUs).toFixed(r.impl === 'tutorial' ? 0 : 2)}×` : '';
    const cook = r.cookUs === null ? '' : r.cookUs.toFixed(0);
    return [r.users, r.impl, r.updateUs.toFixed(2), `${r.updateUsMin.toFixed(2)}`, r.frameUsPerMsg.toFixed(3), r.deleteUs.toFixed(2), cook, speedup, ops(r.opsPerUpdate)];
  });
  const g10 = get(10, 'generated');
  const g2000 = get(2000, 'generated');
  const g1000 = get(1000, 'generated');
  const t1000 = get(1000, 'tutorial');
  const flat = g2000.updateUs / g10.updateUs;
  const flatDel = g2000.deleteUs / g10.deleteUs;
  const speedup = t1000.updateUs / g1000.updateUs;
  const opsSame = JSON.stringify(g10.opsPerUpdate) === JSON.stringify(g2000.opsPerUpdate);
  const verdict = (ok) => (ok ? '**PASS**' : '**FAIL**');
  return [
    '## 3. Generated Python per-message cost (emulator) vs the tutorial\'s table scan',
    '',
    `Run ${new Date().toISOString()}, Python ${result.python}. The implementations run in one Python process with the emulator ` +
      '(src/emulate/python/tdemu), each in its own emulated project whose table already holds N users: `generated` (the WebSocket DAT ' +
      'callbacks and the Execute DAT, a table like the tutorial\'s: the bars compare it with `tutorial`) and `generated+chop` (the same ' +
      `scripts with the Script CHOP in the project); all ${config.users.length * Object.keys(config.impls).length} (users, implementation) ` +
      `pairs run round-robin, ${config.repeats} rounds of ≥ ${config.seconds} s each (median shown, min next to it), so load from other ` +
      'processes falls on all alike. Messages are tutorial-format updates for ' +
      `random existing users; a frame (Execute DAT onFrameStart: pruning) is stepped every ${config.messagesPerFrame} messages and ` +
      'timed separately ("frame µs/msg"; for generated+chop it includes the Script CHOP\'s one cook per frame). Deletes are timed one by one (median; each followed by an untimed re-append). Ops are the emulator\'s ' +
      'counted table operations per update. "Script CHOP cook µs": a forced cook of script_chop.py after one update (median), ' +
      'numpy building every channel from the state\'s mirror.',
    '',
    `Commands: \`${commands[0]}\` then \`${commands[1]}\` (config: bench/python-cost.mjs).`,
    '',
    '**Verdict**',
    '',
    `- Flat: generated update ${g10.updateUs.toFixed(2)} µs at 10 users, ${g2000.updateUs.toFixed(2)} µs at 2000 (×${flat.toFixed(2)}; ` +
      `delete ×${flatDel.toFixed(2)}); counted ops per update ${opsSame ? 'identical' : 'DIFFERENT'} at 10 and 2000 users ` +
      `${verdict(flat <= FLAT_BAR && opsSame)}`,
    `- At 1000 users the generated callbacks are ${speedup.toFixed(0)}× faster than the tutorial scan (bar ≥ ${SPEEDUP_BAR}×) ${verdict(speedup >= SPEEDUP_BAR)}`,
    '',
    mdTable(['users', 'implementation', 'µs/update (median)', 'min', 'frame µs/msg', 'µs/delete', 'Script CHOP cook µs', '÷ generated', 'ops per update'], table),
  ].join('\n');
}
