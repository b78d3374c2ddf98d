/**
 * Benchmark 8 (issue 14, relay --osc): relay CPU at 2000 controllers × 30 Hz → one WebSocket sink, without and
 * with one OSC target (a UDP socket in this process that decodes nothing, only counts datagrams and the messages
 * in them), alternating, each run under the same load. The OSC target gets bundles at the default 30 Hz (latest
 * update per user per tick) and, in a third run, one datagram per message (--osc-hz 0).
 */
import dgram from 'node:dgram';
import { loadCells, loadRun } from './lib/load-run.mjs';
import { mdTable } from './lib/results.mjs';
import { startRelay } from './lib/servers.mjs';

export const name = 'osc';

/** Counts datagrams and OSC messages (a bundle's elements) without decoding them. */
async function udpCounter() {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => undefined);
  const c = { datagrams: 0, messages: 0, bytes: 0 };
  socket.on('message', (buf) => {
    c.datagrams++;
    c.bytes += buf.length;
    if (buf.subarray(0, 8).toString('latin1') !== '#bundle\0') {
      c.messages++;
      return;
    }
    for (let at = 16; at + 4 <= buf.length; at += 4 + buf.readUInt32BE(at)) c.messages++;
  });
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, counts: c, close: () => socket.close() };
}

export async function run({ quick = false, log }) {
  const users = quick ? 500 : 2000;
  const rate = 30;
  const duration = quick ? 8 : 12;
  const ramp = 3;
  const rows = [];
  const kinds = [
    { id: 'route', osc: undefined },
    { id: 'route + OSC, bundles 30 Hz', osc: [] },
    { id: 'route + OSC, datagram per message', osc: ['--osc-hz', '0'] },
  ];
  for (const k of kinds) {
    const rx = k.osc ? await udpCounter() : undefined;
    const server = await startRelay(rx ? ['--osc', `127.0.0.1:${rx.port}`, ...k.osc] : []);
    try {
      log(`osc: ${k.id}, ${users} users × ${rate} Hz`);
      const r = await loadRun({ server, name: `osc-${rows.length}`, users, rate, duration, ramp });
      const c = loadCells(r);
      const osc = rx ? rx.counts : undefined;
      rows.push({ k, r, c, osc, seconds: duration });
      log(`  → server CPU ${c.serverCpu} (${c.usPerMsg} µs/msg), delivery ${c.delivery}${osc ? `, OSC ${osc.messages} messages in ${osc.datagrams} datagrams` : ''}`);
    } finally {
      await server.stop();
      rx?.close();
    }
  }
  const base = rows[0].r.usPerMsg;
  const table = rows.map(({ k, r, c, osc }) => [
    k.id,
    users * rate,
    c.achieved,
    c.delivery,
    c.latency,
    c.serverCpu,
    c.usPerMsg,
    base && r.usPerMsg ? `${(r.usPerMsg / base).toFixed(2)}×` : '–',
    osc ? `${osc.messages} / ${osc.datagrams}` : '',
    c.load,
    `\`${r.serverCommand}\` + \`${r.command}\``,
  ]);
  const short = rows.filter(({ r }) => r.achieved < 0.95 * users * rate);
  const markdown = [
    '## 8. Relay with one OSC target (relay --osc)',
    '',
    `Run ${new Date().toISOString()}. ${users} controllers × ${rate} Hz → one WebSocket sink (the simulator's), the relay alone, then with one ` +
      '`--osc` target on loopback (a UDP socket in the benchmark process that counts datagrams and the messages in them), bundled per ' +
      'tick at the default 30 Hz, then one datagram per message. CPU is the relay process\'s, in the steady-state window, per update ' +
      `received; ${duration} s runs with a ${ramp} s ramp, one after the other (bench/osc.mjs: \`node bench/run.mjs osc\`).`,
    '',
    short.length === 0
      ? ''
      : `Note: in ${short.length} of ${rows.length} runs the load generator, sharing the machine (see the load average), sent less than ` +
        'the offered load; µs/msg is the relay\'s CPU per update it actually received, so the ratios still compare like with like.',
    '',
    mdTable(['relay', 'offered msg/s', 'achieved', 'delivery (WebSocket sink)', 'p50/p95/p99/max ms', 'relay CPU', 'µs/msg', 'vs route', 'OSC messages / datagrams', 'load avg', 'commands'], table),
  ].join('\n');
  return { name, markdown, data: rows.map(({ k, r, osc }) => ({ kind: k.id, usPerMsg: r.usPerMsg, report: r.report, osc })) };
}
