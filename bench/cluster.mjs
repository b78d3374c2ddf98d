/**
 * Benchmark 9 (issue 12, scale-out): relay instances sharing one Redis (`relay --redis`), the simulator spreading
 * its phones over them (`simulate --url A --url B`, round robin) with its measuring sink on the first.
 *
 * Rows at 2000 phones × 30 Hz, one after the other under the same load: one relay without Redis (the baseline),
 * one relay with Redis, two relays with Redis. Then a step-up with two relays to find how far they go on this
 * machine. Measured from outside, as in the other benchmarks: each relay's CPU from /proc/PID, Redis's CPU and
 * commands from its own INFO (`INFO cpu`, `INFO stats` total_commands_processed over the window), the
 * simulator's report for delivery and latency (per instance too).
 *
 * From those figures the section sizes 20 000 and 100 000 phones on paper (see `onPaper`): it prints the
 * figures it rests on, and nothing when they were not measured.
 *
 * Needs /usr/bin/redis-server and redis-cli (or REDIS_SERVER, REDIS_CLI). A relay that does not know --redis
 * fails to start; its rows say so and the others still run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, cpuWindow, loadAvg1, machineBusySeconds } from './lib/proc-stats.mjs';
import { redisCounters, startRedis } from './lib/redis.mjs';
import { machine, mdTable } from './lib/results.mjs';
import { startRelay } from './lib/servers.mjs';
import { startSimulate } from './lib/simulate.mjs';

export const name = 'cluster';

const RATE = 30;
const BAR_USERS = 2000;
const P99_BAR_MS = 50;
/** Share of a core one Node process (one event loop) or one Redis main thread is planned at: headroom for bursts. */
const PLAN_CORE = 0.7;
/** One simulate process generates about this many messages per second (bench §4); beyond, helpers share the load. */
const PER_PROCESS_MSGS = 60_000;

/** The configurations at the bar's load. */
const CONFIGS = [
  { id: '1 relay, no Redis', instances: 1, redis: false },
  { id: '1 relay + Redis', instances: 1, redis: true },
  { id: '2 relays + Redis', instances: 2, redis: true },
];

export async function run({ quick = false, log }) {
  const duration = quick ? 8 : 24;
  const ramp = 3;
  const barUsers = quick ? 500 : BAR_USERS;
  const rows = [];
  for (const config of CONFIGS) rows.push(await measure({ config, users: barUsers, duration, ramp, log }));

  // Step-up: two relays with Redis, more phones each step, until two steps in a row miss the bar.
  const step = [];
  const counts = quick ? [1000] : [3000, 4000, 5000, 6000, 8000];
  let misses = 0;
  for (const users of counts) {
    const r = await measure({ config: CONFIGS[2], users, duration, ramp, log });
    step.push(r);
    if (r.error) break;
    misses = sustains(r) ? 0 : misses + 1;
    if (misses >= 2) break;
  }
  return { name, markdown: render({ rows, step, duration, ramp, barUsers }), data: { rows, step } };
}

/** One configuration under one load; never throws for a relay that cannot start (the row says why). */
export async function measure({ config, users, duration, ramp, log }) {
  log(`cluster: ${config.id}, ${users} × ${RATE} Hz`);
  let redis;
  const relays = [];
  try {
    if (config.redis) redis = await startRedis();
    for (let i = 0; i < config.instances; i++) relays.push(await startRelay(redis ? ['--redis', redis.url] : []));
  } catch (err) {
    for (const r of relays) await r.stop();
    await redis?.stop();
    // The relay's own one-line error (e.g. an unknown --redis on a build without it), else the first line.
    const text = String(err.message ?? err);
    const at = text.indexOf('tdcrowd:');
    const error = at >= 0 ? text.slice(at).split('\n')[0] : text.split('\n')[0];
    log(`  → not run: ${error}`);
    return { config, users, error: error.trim() };
  }
  try {
    const r = await clusterRun({ relays, redis, name: `cluster-${config.instances}x${config.redis ? 'redis' : 'plain'}-${users}`, users, duration, ramp });
    log(`  → ${describe(r)}`);
    return { config, ...r };
  } finally {
    for (const r of relays) await r.stop();
    await redis?.stop();
  }
}

/**
 * The load: the measuring process (sink on the first instance) and, beyond what one process can generate,
 * helper processes with their own ids; every process spreads its phones over all instances.
 */
async function clusterRun({ relays, redis, name, users, duration, ramp }) {
  const urls = relays.map((r) => r.url);
  const helpers = Math.max(0, Math.ceil((users * RATE) / PER_PROCESS_MSGS) - 1);
  const mine = helpers > 0 ? Math.floor(users / (helpers + 1)) : users;
  const common = ['--url', urls.join(','), '--rate', String(RATE), '--duration', String(duration), '--ramp', String(ramp)];
  const load0 = loadAvg1();
  const others = [];
  for (let i = 0; i < helpers; i++) {
    const n = i === helpers - 1 ? users - mine - Math.floor((users - mine) / helpers) * (helpers - 1) : Math.floor((users - mine) / helpers);
    others.push(startSimulate(`${name}-helper${i + 1}`, [...common, '--users', String(n), '--id-base', String(1_000_000 * (i + 2))], { timeoutMs: (duration + 60) * 1000 }));
  }
  const sim = startSimulate(name, [...common, '--users', String(mine), '--sink'], { timeoutMs: (duration + 60) * 1000 });
  const started = performance.now();
  const all = [sim, ...others];
  let exited = false;
  for (const x of all) x.done.then(() => (exited = true), () => (exited = true));

  // Steady state: every phone connected, as the relays count them (their own gauge: open file descriptors
  // would also count the start-up health check's keep-alive socket, which closes on its own a while later).
  const deadline = performance.now() + (ramp + 20) * 1000;
  let sockets = 0;
  while (!exited && performance.now() < deadline) {
    sockets = (await Promise.all(relays.map(controllers))).reduce((a, n) => a + n, 0);
    if (sockets >= users) break;
    await sleep(250);
  }
  let window;
  if (!exited && sockets >= users) {
    try {
      await sleep(1000);
      // Connecting thousands of phones can take longer than the ramp on a busy machine: the window ends 2 s before
      // the simulators' sending does, however late it starts.
      const leftS = (started + (duration - 2) * 1000 - performance.now()) / 1000;
      const windowS = Math.max(2, Math.min(duration - ramp - 3, leftS));
      const relayW = relays.map((r) => cpuWindow(r.pid));
      const simW = all.map((x) => cpuWindow(x.pid));
      const redis0 = redis ? await redisCounters(redis.port) : undefined;
      const busy0 = machineBusySeconds();
      const self0 = cpuSeconds(process.pid);
      await sleep(windowS * 1000);
      if (!exited) {
        const relayCpu = relayW.map((w) => w.read());
        const simCpu = simW.map((w) => w.read());
        const redis1 = redis ? await redisCounters(redis.port) : undefined;
        const wallS = relayCpu[0].wallS;
        const simS = simCpu.reduce((a, c) => a + c.cpuS, 0);
        const redisS = redis ? redis1.cpuS - redis0.cpuS : 0;
        const othersS = machineBusySeconds() - busy0 - relayCpu.reduce((a, c) => a + c.cpuS, 0) - simS - redisS - (cpuSeconds(process.pid) - self0);
        window = {
          wallS,
          relays: relayCpu,
          sim: { cpuS: simS, percent: (simS / wallS) * 100 },
          redis: redis
            ? {
                cpuS: redisS,
                percent: (redisS / wallS) * 100,
                mainThreadPercent: redis1.mainThreadCpuS === undefined ? undefined : ((redis1.mainThreadCpuS - redis0.mainThreadCpuS) / wallS) * 100,
                opsPerS: (redis1.commands - redis0.commands) / wallS,
                instantaneousOps: redis1.instantaneousOps,
              }
            : undefined,
          othersPercent: Math.max(0, (othersS / wallS) * 100),
        };
      }
    } catch (e) {
      if (e?.code !== 'ENOENT') throw e;
      window = undefined;
    }
  }
  if (!window) process.stderr.write(`  (${name}: no CPU window: ${exited ? 'a simulator ended first; ' : ''}${sockets} of ${users} sockets at the relays)\n`);

  const { report } = await sim.done;
  const helperReports = [];
  for (const o of others) helperReports.push((await o.done).report);
  const drops = [];
  for (const r of relays) drops.push(await droppedByReason(r));
  const achieved = report.generator.achievedRate + helperReports.reduce((a, h) => a + h.generator.achievedRate, 0);
  const bound = [report, ...helperReports].filter((h) => h.generatorBound);
  // Each instance's share of the messages: the measuring process's split (helpers spread the same way).
  const shares = report.instances.map((i) => (report.sent > 0 ? i.sent / report.sent : 1 / relays.length));
  const relayUs = window ? window.relays.map((c, i) => (c.cpuS * 1e6) / (achieved * shares[i] * window.wallS)) : undefined;
  return {
    users,
    urls,
    helpers,
    achieved,
    report,
    helperReports,
    drops,
    window,
    relayUs,
    /** Relay CPU, all instances together, per message entering the cluster. */
    clusterUsPerMsg: window && achieved > 0 ? (window.relays.reduce((a, c) => a + c.cpuS, 0) * 1e6) / (achieved * window.wallS) : undefined,
    redisUsPerMsg: window?.redis && achieved > 0 ? (window.redis.cpuS * 1e6) / (achieved * window.wallS) : undefined,
    redisOpsPerMsg: window?.redis && achieved > 0 ? window.redis.opsPerS / achieved : undefined,
    generatorBound: bound.length > 0,
    load: Math.max(load0, loadAvg1()),
    commands: [sim.command, ...others.map((o) => o.command)],
    relayCommands: relays.map((r) => r.command),
    redisCommand: redis?.command,
  };
}

/** Phones connected to one relay (its /metrics gauge). */
async function controllers(relay) {
  try {
    const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
    const m = /^tdcrowd_connections\{role="controller"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function droppedByReason(relay) {
  try {
    const text = await (await fetch(`${relay.httpUrl}/metrics`)).text();
    const out = {};
    for (const m of text.matchAll(/^tdcrowd_dropped_total\{reason="([^"]+)"\} (\d+)/gm)) out[m[1]] = Number(m[2]);
    return out;
  } catch {
    return undefined;
  }
}

/** Delivery ≥ 99.9 % and p99 ≤ the bar at the sink (the measured process's phones, on every instance). */
function sustains(r) {
  const rep = r.report;
  return !r.error && rep.deliveryRatio !== null && rep.deliveryRatio >= 0.999 && rep.latencyMs.p99 !== null && rep.latencyMs.p99 <= P99_BAR_MS;
}

const f = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? '–' : Number(v).toFixed(d));

function describe(r) {
  const l = r.report.latencyMs;
  return `${Math.round(r.achieved)} msg/s, delivery ${f(r.report.deliveryRatio * 100, 2)}%, p50/p99 ${f(l.p50)}/${f(l.p99)} ms, relay µs/msg ${f(r.clusterUsPerMsg)}` +
    (r.window?.redis ? `, Redis ${f(r.window.redis.opsPerS, 0)} ops/s, ${f(r.window.redis.percent, 0)}% CPU` : '') + `, generator-bound ${r.generatorBound ? 'yes' : 'no'}`;
}

function rowCells(r) {
  if (r.error) return [r.config.id, r.users, '–', `not run: ${r.error}`, '–', '–', '–', '–', '–', '–', '–', '–', '–', '–'];
  const rep = r.report;
  const l = rep.latencyMs;
  const perInstance = rep.instances.length > 1
    ? rep.instances.map((i, n) => `#${n + 1}${i.sink ? ' (sink)' : ''}: ${f(i.deliveryRatio * 100, 2)}%, p99 ${f(i.latencyMs.p99)}`).join('; ')
    : '–';
  const drops = r.drops.flatMap((d, i) => Object.entries(d ?? {}).filter(([, v]) => v > 0).map(([k, v]) => `#${i + 1} ${v} ${k}`)).join(', ');
  const w = r.window;
  return [
    r.config.id,
    r.users,
    Math.round(r.achieved),
    `${f(rep.deliveryRatio * 100, 2)}%${drops ? ` (dropped: ${drops})` : ''}`,
    `${f(l.p50)} / ${f(l.p95)} / ${f(l.p99)} / ${f(l.max)}`,
    perInstance,
    w ? w.relays.map((c) => `${f(c.percent, 0)}%`).join(' + ') : 'n/a',
    r.relayUs ? r.relayUs.map((u) => f(u)).join(' / ') : 'n/a',
    f(r.clusterUsPerMsg),
    w?.redis ? `${f(w.redis.opsPerS, 0)} (${f(r.redisOpsPerMsg, 2)}/msg)` : '–',
    w?.redis ? `${f(w.redis.percent, 0)}%${w.redis.mainThreadPercent === undefined ? '' : ` (main ${f(w.redis.mainThreadPercent, 0)}%)`}` : '–',
    w ? `${f(w.sim.percent, 0)}%, others ${f(w.othersPercent, 0)}%` : 'n/a',
    r.generatorBound ? 'YES' : 'no',
    `\`${r.redisCommand ? `${r.redisCommand} & ` : ''}${r.relayCommands.join(' & ')}\` + \`${r.commands.join(' & ')}\``,
  ];
}

const HEADER = ['set-up', 'phones', 'msg/s', 'delivery', 'p50 / p95 / p99 / max ms', 'per instance', 'relay CPU', 'relay µs/msg in (each)', 'relay µs/msg (cluster)', 'Redis ops/s', 'Redis CPU', 'simulator CPU', 'gen-bound', 'commands'];

/**
 * 20 000 and 100 000 phones × 30 Hz on paper, from the two-relay run at the bar's load:
 * - ingest: the relay without the sink spends `ingestUs` per message it takes in (parse, validate, publish);
 *   instances = messages × ingestUs over PLAN_CORE of a core each (one event loop per instance);
 * - fan-in: the sink's relay spends, beyond its own ingest, `fanInUs` per message of the whole cluster (what
 *   reaches it through Redis and goes out to the sink): it must fit one event loop;
 * - Redis: `redisUs` of Redis CPU and `opsPerMsg` commands per message; one Redis main thread, PLAN_CORE of a core.
 * Nothing is printed for a figure that was not measured.
 */
export function onPaper(two) {
  if (!two || two.error || !two.window?.redis || !two.relayUs || two.report.instances.length < 2) {
    return ['- Not computed: the two-relay run with Redis at the bar\'s load did not produce a CPU window (see the table).'];
  }
  const sinkIdx = two.report.instances.findIndex((i) => i.sink);
  const otherIdx = sinkIdx === 0 ? 1 : 0;
  const ingestUs = two.relayUs[otherIdx];
  const shareSink = two.report.instances[sinkIdx].sent / Math.max(1, two.report.sent);
  const sinkCpuUs = (two.window.relays[sinkIdx].cpuS * 1e6) / (two.achieved * two.window.wallS);
  const fanInUs = Math.max(0, sinkCpuUs - ingestUs * shareSink);
  const redisUs = two.redisUsPerMsg;
  const opsPerMsg = two.redisOpsPerMsg;
  const lines = [
    `- Figures (two relays + Redis, ${two.users} phones × ${RATE} Hz, ${Math.round(two.achieved)} msg/s): ingest ${f(ingestUs)} µs of relay CPU per message taken in (the relay without the sink); ` +
      `fan-in ${f(fanInUs)} µs per cluster message on the sink's relay beyond its own ingest; Redis ${f(redisUs, 2)} µs CPU and ${f(opsPerMsg, 2)} commands per message. ` +
      `Planning at ${PLAN_CORE * 100} % of a core per relay process and per Redis main thread.`,
  ];
  for (const phones of [20_000, 100_000]) {
    const msgs = phones * RATE;
    const ingestCores = (msgs * ingestUs) / 1e6;
    const instances = Math.ceil(ingestCores / PLAN_CORE);
    const fanInCores = (msgs * fanInUs) / 1e6;
    const redisCores = (msgs * redisUs) / 1e6;
    const redisOps = msgs * opsPerMsg;
    lines.push(
      `- ${phones.toLocaleString('en')} phones × ${RATE} Hz = ${msgs.toLocaleString('en')} msg/s: ingest ${f(ingestCores, 2)} cores → ${instances} relay instances (processes or --workers) at ${PLAN_CORE * 100} %; ` +
        `the sink's relay needs ${f(fanInCores, 2)} cores of fan-in on one event loop${fanInCores > PLAN_CORE ? ' (**more than one loop holds: the sink must take batches, --batch-hz / f32-columns, or the fan-in be split**)' : ''}; ` +
        `Redis ${f(redisOps / 1000, 0)} k ops/s, ${f(redisCores, 2)} cores${redisCores > PLAN_CORE ? ' (**beyond one Redis main thread: fewer commands per update, e.g. pipelined/batched publishes, or sharding**)' : ''}; ` +
        `in all ≈ ${f(ingestCores + fanInCores + redisCores, 1)} cores before the load balancer and TouchDesigner.`,
    );
  }
  return lines;
}

function render({ rows, step, duration, ramp, barUsers }) {
  const date = new Date().toISOString();
  const m = machine();
  const two = rows.find((r) => r.config.instances === 2 && r.users === barUsers);
  const best = [...step, two].filter((r) => r && sustains(r)).reduce((a, r) => Math.max(a, r.users), 0);
  const stepFail = step.find((r) => !sustains(r));
  const bar = (id) => rows.find((r) => r.config.id === id);
  const ratio = (a, b) => (a?.clusterUsPerMsg && b?.clusterUsPerMsg ? (a.clusterUsPerMsg / b.clusterUsPerMsg).toFixed(2) : '–');
  return [
    '## 9. Scale-out: relay instances sharing one Redis (issue 12)',
    '',
    `Run ${date}, ${m.cores} cores, load average up to ${f(Math.max(...[...rows, ...step].filter((r) => r.load).map((r) => r.load), 0), 1)}. ` +
      `${RATE} Hz per phone, ${duration} s of sending with a ${ramp} s ramp; the simulator spreads its phones round robin over the instances ` +
      '(`--url A,B`) with its measuring sink on the first; beyond 60 000 msg/s, helper processes (no sink, own ids) share the load. ' +
      'Relay CPU from /proc/PID over the steady window; "relay µs/msg in" is each relay\'s CPU per message it took in from phones; "(cluster)" is all relays\' CPU per message entering the cluster. ' +
      'Redis ops/s is `INFO stats` total_commands_processed over the window; Redis CPU is `INFO cpu` (used_cpu_sys + used_cpu_user, main thread in brackets). ' +
      `Everything shares this machine's ${m.cores} cores: relays, Redis, the simulator and its sink.`,
    '',
    `### At ${barUsers} phones × ${RATE} Hz`,
    '',
    mdTable(HEADER, rows.map(rowCells)),
    '',
    `- Relay CPU per message, cluster-wide: with Redis / without (1 relay) ${ratio(bar('1 relay + Redis'), bar('1 relay, no Redis'))}×; 2 relays / 1 relay (both with Redis) ${ratio(bar('2 relays + Redis'), bar('1 relay + Redis'))}×.`,
    '',
    '### How far two instances go on this machine',
    '',
    step.length ? mdTable(HEADER, step.map(rowCells)) : '(no step-up run)',
    '',
    `- Largest count sustained by two relays + Redis (delivery ≥ 99.9 %, p99 ≤ ${P99_BAR_MS} ms): ${best || 'none'}` +
      (stepFail ? `; first miss at ${stepFail.users}${stepFail.generatorBound ? ' (the load generator was the bottleneck)' : ''}` : '') + '.',
    '',
    '### 20 000 and 100 000 phones, on paper',
    '',
    ...onPaper(two),
  ].join('\n');
}
