/**
 * Benchmark 5 (README, "Benchmarks": relay memory): RSS of the relay process with 5000 idle controllers: connected, each
 * holding the id it claimed with `connect`, sending nothing (`simulate --pattern still`, no sink). The relay's
 * /healthz must show 5000 users before RSS is read (/proc, max over a few seconds). Bar: ≤ 150 MB.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { execSync } from 'node:child_process';
import { loadAvg1, rssBytes } from './lib/proc-stats.mjs';
import { mdTable } from './lib/results.mjs';
import { healthz, startRelay } from './lib/servers.mjs';
import { startSimulate } from './lib/simulate.mjs';

export const name = 'rss';

const RSS_BAR_MB = 150;

export async function run({ quick = false, log }) {
  const users = quick ? 2000 : 5000;
  const ramp = 5;
  const duration = 20;
  const server = await startRelay();
  const rows = [];
  let idleMb;
  let sim;
  try {
    await sleep(500);
    idleMb = rssBytes(server.pid) / 1048576;
    log(`rss: ${users} idle controllers (relay idle RSS ${idleMb.toFixed(0)} MB)`);
    const load0 = loadAvg1();
    sim = startSimulate(`rss-${users}`, ['--url', server.url, '--users', String(users), '--pattern', 'still', '--duration', String(duration), '--ramp', String(ramp)], {
      timeoutMs: (duration + 60) * 1000,
    });
    let exited = false;
    sim.done.then(() => (exited = true), () => (exited = true));
    let h;
    const t0 = performance.now();
    while (!exited && performance.now() - t0 < (duration - 6) * 1000) {
      h = await healthz(server);
      if (h.users >= users) break;
      await sleep(250);
    }
    const reachedS = (performance.now() - t0) / 1000;
    // settle, then the largest RSS over 4 s of idling
    await sleep(1000);
    let maxMb = 0;
    for (let i = 0; i < 8 && !exited; i++) {
      maxMb = Math.max(maxMb, rssBytes(server.pid) / 1048576);
      await sleep(500);
    }
    const after = await healthz(server);
    await sim.done;
    rows.push({ users, idleMb, maxMb, health: after, reachedS, load: Math.max(load0, loadAvg1()), command: sim.command, serverCommand: server.command });
    log(`  → ${after.users} users, ${after.connections.controller} controllers, max RSS ${maxMb.toFixed(1)} MB`);
  } finally {
    await server.stop();
  }
  return { name, markdown: render(rows), data: rows };
}

function ulimitN() {
  try {
    return execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

function render(rows) {
  const verdict = (ok) => (ok ? '**PASS**' : '**FAIL**');
  const r = rows[0];
  const ok = r.health.users >= r.users && r.maxMb <= RSS_BAR_MB;
  const perConn = ((r.maxMb - r.idleMb) * 1024) / r.users;
  return [
    '## 5. Relay memory with idle controllers',
    '',
    `Run ${new Date().toISOString()}. Relay in its own process; one \`tdcrowd simulate --pattern still\` process opens the sockets ` +
      `(each sends \`connect\` and then nothing; no sink), connects spread over the ramp. \`ulimit -n\` here: ${ulimitN()} (each side needs ` +
      'one descriptor per socket). RSS from /proc/PID/status (VmRSS), the largest of 8 readings over 4 s once /healthz reported every user.',
    '',
    `**Verdict**: ${r.health.users} idle controllers holding ids (per /healthz), relay RSS ${r.maxMb.toFixed(1)} MB (bar ≤ ${RSS_BAR_MB} MB) ${verdict(ok)}`,
    '',
    mdTable(['controllers', 'users (/healthz)', 'relay RSS idle, no clients (MB)', 'relay RSS with them (MB)', 'KiB per controller', 'all connected after (s)', 'load', 'commands'], [
      [r.users, r.health.users, r.idleMb.toFixed(1), r.maxMb.toFixed(1), perConn.toFixed(1), r.reachedS.toFixed(1), r.load.toFixed(1), `\`${r.serverCommand}\` + \`${r.command}\``],
    ]),
  ].join('\n');
}
