/**
 * Benchmark 7 (issue 14, --target webserver): per-message cost of the generated Web Server DAT callbacks (a
 * phone moving its own knob: token bucket, decode, identity check, table write) in the emulator, beside the
 * relay-fed WebSocket DAT callbacks in the same Python process, and the phone count that cost allows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mdTable } from './lib/results.mjs';
import { CLI, ROOT } from './lib/servers.mjs';

export const name = 'webserver';

/** Share of one core (TouchDesigner's main thread, which also cooks and renders) the phones may take. */
const BUDGET = 0.25;
/** What the emulator leaves out: the C++ → Python call per callback and the DAT's own WebSocket work. */
const SAFETY = 2;
const RATES = [30, 60];

export async function run({ quick = false, log }) {
  const out = 'bench/out/webserver';
  const gen = (target) => {
    const dir = `${out}/${target}`;
    mkdirSync(`${ROOT}${dir}`, { recursive: true });
    const args = [CLI, 'generate', '--target', target, '--out', dir];
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    return { dir, args };
  };
  const ws = gen('webserver');
  const sock = gen('websocket');
  const files = (dir, cb) => ({ callbacks: `${dir}/${cb}`, execute: `${dir}/execute.py`, chop: `${dir}/script_chop.py` });
  const config = {
    webserver: files(ws.dir, 'webserver_callbacks.py'),
    websocket: files(sock.dir, 'websocket_callbacks.py'),
    phones: [10, 100, 500, 1000],
    seconds: quick ? 0.05 : 0.15,
    repeats: quick ? 3 : 15,
    hz: 30,
    fps: 60,
    seed: 1,
  };
  writeFileSync(`${ROOT}${out}/config.json`, JSON.stringify(config, null, 2));
  const pyPath = `${dirname(CLI.replace(/\/cli\/main\.js$/, ''))}/src/emulate/python`;
  log(`webserver: ${config.phones.join('/')} phones at ${config.hz} Hz, Web Server DAT vs WebSocket DAT callbacks`);
  const stdout = execFileSync('python3', ['bench/python/webserver_cost.py', `${out}/config.json`], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: pyPath, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  const result = JSON.parse(stdout);
  const commands = [
    `node ${ws.args.join(' ')}`,
    `node ${sock.args.join(' ')}`,
    `PYTHONPATH=${pyPath} python3 bench/python/webserver_cost.py ${out}/config.json`,
  ];
  return { name, markdown: render(result, config, commands), data: result };
}

function render(result, config, commands) {
  const rows = result.rows;
  const get = (phones, target) => rows.find((r) => r.phones === phones && r.target === target);
  const top = Math.max(...config.phones);
  const w = get(top, 'webserver');
  const s = get(top, 'websocket');
  const perMsg = w.updateUs + w.frameUsPerMsg;
  const capacity = (hz) => Math.floor(BUDGET / (hz * SAFETY * perMsg * 1e-6));
  const ops = (o) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
  const table = rows.map((r) => [r.phones, r.target, r.updateUs.toFixed(2), r.updateUsMin.toFixed(2), r.frameUsPerMsg.toFixed(3), ops(r.opsPerUpdate)]);
  return [
    '## 7. Web Server DAT target: per-message cost and phone capacity',
    '',
    `Run ${new Date().toISOString()}, Python ${result.python}. The generated callbacks of \`--target webserver\` ` +
      '(onWebSocketReceiveText: token bucket, JSON decode, identity check, table write; the page\'s update with seq and t) and of ' +
      '`--target websocket` (onReceiveText, the same update from the relay) run in one Python process in the emulator, each project ' +
      `with N phones already joined and the Script CHOP installed. Each phone sends ${config.hz} updates a second: a frame ` +
      `(1/${config.fps} s: Execute DAT service with the heartbeat and pruning, and the Script CHOP's cook) is stepped after every ` +
      `N × ${config.hz}/${config.fps} messages and timed apart ("frame µs/msg"); every update is applied (checked), so the rate ` +
      `limit never binds. ${config.repeats} round-robin rounds of ≥ ${config.seconds} s each; median shown, min next to it.`,
    '',
    `Commands: \`${commands[0]}\`, \`${commands[1]}\`, then \`${commands[2]}\` (config: bench/webserver-cost.mjs).`,
    '',
    '**Capacity**',
    '',
    `- At ${top} phones a phone's update costs ${w.updateUs.toFixed(2)} µs in the Web Server DAT callbacks (${(w.updateUs / s.updateUs).toFixed(2)}× ` +
      `the relay-fed WebSocket DAT callbacks' ${s.updateUs.toFixed(2)} µs in the same run) plus ${w.frameUsPerMsg.toFixed(2)} µs of frame work per message.`,
    `- Allowing the phones ${BUDGET * 100} % of TouchDesigner's main thread and counting each message ×${SAFETY} for what the emulator leaves out ` +
      `(the C++ → Python call per callback, the DAT's own WebSocket work): ${RATES.map((hz) => `${capacity(hz)} phones at ${hz} Hz`).join(', ')} ` +
      '(the page sends at most once per animation frame, about 60 Hz while the knob moves).',
    '',
    mdTable(['phones', 'target', 'µs/update (median)', 'min', 'frame µs/msg', 'ops per update'], table),
  ].join('\n');
}
