/**
 * Hostile input (README, "Reliability") against the real relay (a child process, so its RSS is its own): the shared corpus from
 * several connections, invalid UTF-8 and oversize frames that close their connection mid-stream, spoofed claims,
 * a flood above the rate limit and a connection storm above the controller cap, all while 20 honest phones
 * stream at 20 Hz to a real sink.
 *
 * Checked: the relay stays up and keeps accepting; every honest update arrives once, in order; nothing hostile
 * reaches the sink or another phone; /metrics counts each drop under the reason the corpus says it deserves;
 * RSS stays bounded.
 *
 * The same barrage runs against one relay, and against instance A of two sharing a real Redis (relay --redis) with
 * the sink on instance B: access rules and counting are the same on every instance, and honest delivery across
 * instances stays at 100 %.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closingCorpus, honestText, inConnectionCorpus, tally, type HostileFrame } from './corpus.js';
import { recordFigures } from '../helpers/figures.js';
import type { Metrics } from '../helpers/metrics.js';
import { claim, Peer } from '../helpers/peers.js';
import { type ChildRelay, spawnRelay } from '../helpers/relay.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { hasRedisServer } from '../helpers/requirements.js';
import { RssSampler } from '../helpers/rss.js';
import { sleep, until } from '../helpers/wait.js';

const HONEST = 20;
const HOSTILE = 4;
const MAX_CONTROLLERS = 40;
const STORM = 60;
const FLOOD = 30_000;
/** Per-connection limit; hostile senders pace at well under half of it so their junk is judged, not throttled. */
const RATE = 1000;
const HOSTILE_PER_TICK = 30; // every 100 ms: 300 frames/s
const PRE_CLOSE = 3;
const POST_CLOSE = 2;

let relay: ChildRelay;
/** Where the sink connects: the relay itself, or instance B of the cluster. */
let sinkRelay: ChildRelay;
let redis: RedisServer | undefined;
const peers: Peer[] = [];
const keep = (p: Peer): Peer => (peers.push(p), p);

/** Honest phones, attackers and the storm all come from 127.0.0.1: the per-address cap has its own tests. */
const MANY_PER_ADDRESS = ['--max-per-address', '10000'];

const FLAGS = [...MANY_PER_ADDRESS, '--rate', String(RATE), '--burst', String(RATE), '--max-controllers', String(MAX_CONTROLLERS), '--ping-interval', '3600'];

const VARIANTS = [
  { name: 'one relay', cluster: false },
  ...(hasRedisServer() ? [{ name: 'instance A of two sharing Redis, the sink on B', cluster: true }] : []),
];

/** The relay under attack, and where the sink is. */
async function setUp(cluster: boolean): Promise<void> {
  if (!cluster) {
    relay = await spawnRelay(FLAGS);
    sinkRelay = relay;
    return;
  }
  redis = await startRedis();
  relay = await spawnRelay([...FLAGS, '--redis', redis.url]);
  sinkRelay = await spawnRelay([...FLAGS, '--redis', redis.url]);
}

async function tearDown(): Promise<void> {
  for (const p of peers.splice(0)) p.terminate();
  await relay?.stop();
  if (sinkRelay !== relay) await sinkRelay?.stop();
  await redis?.dispose();
  redis = undefined;
}

const UPGRADE = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
const RAW_REQUESTS = [
  'GARBAGE\r\n\r\n',
  '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', // a TLS ClientHello's first bytes
  `${UPGRADE}Sec-WebSocket-Key: bad\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  `${UPGRADE}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\r\n`,
  `${UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n`,
  `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  `GET /${'%'.repeat(3)}zz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
  'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
];

/** Writes raw bytes, returns whatever the relay answers before it closes (or '' after 5 s of silence). */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const sock = net.connect(port, '127.0.0.1', () => sock.write(Buffer.from(request, 'latin1')));
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(reply);
    };
    const timer = setTimeout(done, 5000);
    sock.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', done);
  });
}

function sendFrame(p: Peer, f: HostileFrame): void {
  if (typeof f.data === 'string') p.send(f.data);
  else if (f.rawText) p.sendRawText(f.data);
  else if (p.ws.readyState === p.ws.OPEN) p.ws.send(f.data, { binary: true });
}

describe.each(VARIANTS)('hostile input while honest users stream: $name', ({ cluster }) => {
  beforeAll(() => setUp(cluster));
  afterAll(tearDown);

  it('keeps the relay up, honest delivery at 100 %, and counts every drop by reason', async () => {
    const expected: Record<string, number> = {};
    const expect1 = (reason: string, n = 1): void => void (expected[reason] = (expected[reason] ?? 0) + n);
    let framesIn = 0; // frames the relay must have read (lower bound of messagesIn)
    let unread = 0; // frames sent after a closing frame: the relay may or may not read them

    const s = keep(await Peer.open(sinkRelay.url));
    s.send({ type: 'hello', role: 'sink' });
    if (sinkRelay === relay) framesIn++;
    await until(async () => (await sinkRelay.metrics()).connections.sink === 1, 'the sink admitted');
    // relay --redis: A hears of B's sink (phones on A are then told nothing but their welcome)
    await until(async () => ((await (await fetch(`${relay.httpUrl}/healthz`)).json()) as { status: string }).status === 'ok', 'the relay to know a sink');

    // honest phones
    const honest: Peer[] = [];
    for (let i = 0; i < HONEST; i++) honest.push(keep(await claim(relay.url, `honest-${i}`)));
    framesIn += HONEST;
    const sentTexts = new Set<string>();
    const honestSeq = new Array<number>(HONEST).fill(0);
    const streaming = setInterval(() => {
      honest.forEach((p, i) => {
        const text = honestText(`honest-${i}`, honestSeq[i]!, ((honestSeq[i]! * 7) % 341) - 170, i);
        sentTexts.add(text);
        p.send(text);
        honestSeq[i]!++;
      });
    }, 50);

    // hostile controllers, each with its own id and its own slice of the corpus aimed at an honest victim
    const hostile: Peer[] = [];
    const plans: HostileFrame[][] = [];
    for (let i = 0; i < HOSTILE; i++) {
      hostile.push(keep(await claim(relay.url, `evil-${i}`)));
      plans.push(inConnectionCorpus({ own: `evil-${i}`, victim: `honest-${i}`, seed: 5000 + i, perCategory: 100 }));
    }
    framesIn += HOSTILE;

    // strangers that know the honest ids: claims without the token are refused
    const spoofers: Peer[] = [];
    for (let i = 0; i < 3; i++) {
      const p = keep(await Peer.open(relay.url));
      spoofers.push(p);
      const v = `honest-${i}`;
      p.send({ type: 'connect', sliderId: v });
      p.send(JSON.parse(honestText(v, 999_999)) as object);
      p.send({ type: 'delete', sliderId: v });
      p.send({ type: 'connect', sliderId: v, resume: 'AAAAAAAAAAAAAAAAAAAAAAAA' });
      expect1('id_taken', 2);
      expect1('not_connected');
      expect1('bad_resume');
      framesIn += 4;
    }
    const flood = keep(await claim(relay.url, 'flood'));
    framesIn++;
    await until(async () => (await relay.metrics()).messagesIn >= framesIn, 'set-up frames read');
    const controllersBefore = (await relay.metrics()).connections.controller!;
    expect(controllersBefore).toBe(HONEST + HOSTILE + 3 + 1);

    const rss = new RssSampler(relay.proc.pid!);
    const baselineMiB = rss.sample();
    const started = Date.now();

    // 1. the corpus, paced from every hostile connection at once
    const corpusRun = Promise.all(
      hostile.map(async (p, i) => {
        const plan = plans[i]!;
        for (let k = 0; k < plan.length; k += HOSTILE_PER_TICK) {
          for (const f of plan.slice(k, k + HOSTILE_PER_TICK)) sendFrame(p, f);
          await sleep(100);
        }
      }),
    );
    for (const plan of plans) for (const f of plan) expect1(f.reason);
    framesIn += plans.reduce((a, p) => a + p.length, 0);

    // 2. frames that close their connection, mid-stream: junk before (read), the closer, junk after (unread)
    const closing = closingCorpus(77, 20);
    const closeCodes: Record<string, number> = {};
    const closers = (async () => {
      for (let k = 0; k < closing.length; k += 8) {
        await Promise.all(
          closing.slice(k, k + 8).map(async (f) => {
            const p = await Peer.open(relay.url);
            for (let j = 0; j < PRE_CLOSE; j++) p.send(`}pre-${j}`);
            sendFrame(p, f);
            for (let j = 0; j < POST_CLOSE; j++) p.send(`}post-${j}`);
            await p.waitClosed();
            closeCodes[`${f.category}:${p.closeCode}`] = (closeCodes[`${f.category}:${p.closeCode}`] ?? 0) + 1;
          }),
        );
      }
    })();
    for (const f of closing) {
      expect1('not_json', PRE_CLOSE);
      expect1(f.reason);
    }
    framesIn += closing.length * (PRE_CLOSE + 1);
    unread += closing.length * POST_CLOSE;

    // 3. a flood of valid updates far above the rate limit
    for (let i = 0; i < FLOOD; i++) flood.send(honestText('flood', i, (i % 341) - 170));
    framesIn += FLOOD;

    // 4. a connection storm above the controller cap
    const storm = await Promise.all(Array.from({ length: STORM }, () => Peer.open(relay.url)));
    storm.forEach((p, i) => p.send({ type: 'connect', sliderId: `storm-${i}` }));
    framesIn += STORM;
    const admitted = MAX_CONTROLLERS - controllersBefore;
    expect1('server_full', STORM - admitted);

    // 5. not even WebSocket: garbage, broken upgrades and a stalled handshake on raw TCP
    const rawReplies = await Promise.all(RAW_REQUESTS.map((r) => rawExchange(relay.port, r)));
    const slowloris = net.connect(relay.port, '127.0.0.1', () => slowloris.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'));
    slowloris.on('error', () => undefined);

    await Promise.all([corpusRun, closers]);
    for (const [i, reply] of rawReplies.entries()) expect(reply, RAW_REQUESTS[i]!.slice(0, 40)).toMatch(/^HTTP\/1\.1 4\d\d|^$/);
    expect(rawReplies.filter((r) => r.startsWith('HTTP/1.1 4')).length).toBeGreaterThanOrEqual(RAW_REQUESTS.length - 1);
    await until(() => storm.filter((p) => p.closeCode === 1013).length === STORM - admitted, 'the storm beyond the cap closed with 1013');
    const stormWelcomed = storm.filter((p) => p.messages.some((m) => m.type === 'welcome'));
    expect(stormWelcomed).toHaveLength(admitted);
    for (const p of storm) {
      if (p.closeCode === 1013) expect(p.closeReason).toMatch(/full/);
    }
    // the admitted part of the storm leaves again: the cap frees up (their deletes say `closed`)
    for (const p of stormWelcomed) p.ws.close();
    await until(async () => (await relay.metrics()).connections.controller === controllersBefore, 'the admitted storm gone');
    await sleep(300);
    clearInterval(streaming);
    const hostileSeconds = (Date.now() - started) / 1000;

    // every frame read and accounted for
    const floodAtSink = (): number => s.ofType('update').filter((m) => m.sliderId === 'flood').length;
    const honestTotal = honestSeq.reduce((a, b) => a + b, 0);
    framesIn += honestTotal;
    let m: Metrics = await relay.metrics();
    await until(
      async () => {
        m = await relay.metrics();
        return m.messagesIn >= framesIn && floodAtSink() + (m.dropped.rate_limited ?? 0) === FLOOD && s.ofType('update').length - floodAtSink() === honestTotal;
      },
      'every frame read, every flood frame delivered or counted, every honest update at the sink',
      30_000,
    );
    rss.stop();
    await sleep(200);
    m = await relay.metrics();

    // honest delivery: every seq, in order, once, byte-identical fields
    for (let i = 0; i < HONEST; i++) {
      const seqs = s.ofType('update').filter((u) => u.sliderId === `honest-${i}`).map((u) => u.seq);
      expect(seqs, `honest-${i}`).toEqual(Array.from({ length: honestSeq[i]! }, (_, k) => k));
    }
    // nothing foreign at the sink: every update is one an honest phone or the flooder sent (valid, its own id)
    const floodTexts = new Set<string>();
    for (let i = 0; i < FLOOD; i++) floodTexts.add(honestText('flood', i, (i % 341) - 170));
    const foreign = s.texts.filter((t) => {
      if (sentTexts.has(t) || floodTexts.has(t)) return false;
      const msg = JSON.parse(t) as Record<string, unknown>;
      const id = String(msg.sliderId);
      const known = /^(honest-\d+|evil-\d+|flood|storm-\d+)$/.test(id);
      // the relay's connect: the id and the hue it gave the phone, nothing else
      if (msg.type === 'connect') return !known || Object.keys(msg).sort().join() !== 'hue,sliderId,type' || !Number.isInteger(msg.hue);
      if (msg.type === 'delete') return !/^storm-\d+$/.test(id) || msg.reason !== 'closed';
      return true;
    });
    expect(foreign).toEqual([]);
    expect(s.ofType('update').some((u) => String(u.sliderId).startsWith('evil-'))).toBe(false);
    expect(s.ofType('delete').filter((d) => !String(d.sliderId).startsWith('storm-'))).toEqual([]);
    // refusals are answered at most once per second per connection: a flood does not become a reply flood
    for (const p of [...hostile, flood]) expect(p.ofType('error').length).toBeLessThanOrEqual(Math.ceil(hostileSeconds) + 2);
    // other phones get nothing but their welcome
    for (const p of honest) expect(p.texts.map((t) => (JSON.parse(t) as { type: string }).type)).toEqual(['welcome']);

    // drops: each reason exactly as the corpus says, everything else zero
    const postCloseRead = m.messagesIn - framesIn;
    expect(postCloseRead).toBeGreaterThanOrEqual(0);
    expect(postCloseRead).toBeLessThanOrEqual(unread);
    expect(m.dropped.rate_limited).toBe(FLOOD - floodAtSink());
    expect(m.dropped.rate_limited).toBeGreaterThan(FLOOD / 2);
    const want: Record<string, number> = { ...expected, rate_limited: FLOOD - floodAtSink() };
    want.not_json = (want.not_json ?? 0) + postCloseRead; // junk after a closer is not JSON, if it was read at all
    for (const reason of Object.keys(m.dropped)) expect(m.dropped[reason], reason).toBe(want[reason] ?? 0);
    for (const reason of Object.keys(want)) expect(m.dropped[reason], reason).toBe(want[reason]);
    expect(closeCodes).toEqual(Object.fromEntries(Object.entries(tally(closing, (f) => `${f.category}:${f.closes}`))));

    // alive and still accepting
    const health = (await (await fetch(`${relay.httpUrl}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    const late = keep(await claim(relay.url, 'late-honest'));
    late.send(honestText('late-honest', 0));
    await until(() => s.ofType('update').some((u) => u.sliderId === 'late-honest'), 'a new phone after the barrage reaches the sink');
    expect(relay.proc.exitCode).toBeNull();
    slowloris.destroy();
    expect(relay.output()).not.toMatch(/internal error/);

    // memory bounded
    expect(rss.peak).toBeLessThan(200);
    expect(rss.peak - baselineMiB).toBeLessThan(64);

    const inCorpus = plans.flat();
    if (!cluster) recordFigures('hostile-relay', {
      relayFramesTriedByCategory: { ...tally(inCorpus, (f) => f.category), ...tally(closing, (f) => f.category), flood: FLOOD, stormConnections: STORM },
      relayFramesTotal: inCorpus.length + closing.length + FLOOD + STORM + closing.length * PRE_CLOSE + 3 * 4,
      hostileConnections: HOSTILE + closing.length + 3 + 1 + STORM,
      honestUsers: HONEST,
      honestUpdates: honestTotal,
      honestDelivered: s.ofType('update').filter((u) => String(u.sliderId).startsWith('honest-')).length,
      droppedByReason: Object.fromEntries(Object.entries(m.dropped).filter(([, n]) => n > 0)),
      postCloseFramesRead: postCloseRead,
      stormAdmitted: admitted,
      stormRefused1013: STORM - admitted,
      relayRssMiB: { baseline: Math.round(baselineMiB * 10) / 10, peak: Math.round(rss.peak * 10) / 10 },
      hostileSeconds,
    });
  }, 90_000);
});

describe('hostile input, one relay only', () => {
  it('broadcast mode (the tutorial relay): phones get every honest frame and no hostile one', async () => {
    const b = await spawnRelay([...MANY_PER_ADDRESS, '--mode', 'broadcast', '--rate', String(RATE), '--burst', String(RATE), '--ping-interval', '3600']);
    try {
      const honest: Peer[] = [];
      for (let i = 0; i < 6; i++) honest.push(keep(await claim(b.url, `bh-${i}`)));
      const evil: Peer[] = [];
      for (let i = 0; i < 2; i++) evil.push(keep(await claim(b.url, `be-${i}`)));
      const plans = evil.map((_, i) => inConnectionCorpus({ own: `be-${i}`, victim: `bh-${i}`, seed: 9000 + i, perCategory: 25 }));
      const sent = new Array<number>(honest.length).fill(0);
      const streaming = setInterval(() => honest.forEach((p, i) => p.send(honestText(`bh-${i}`, sent[i]!++))), 50);
      await Promise.all(
        evil.map(async (p, i) => {
          for (let k = 0; k < plans[i]!.length; k += HOSTILE_PER_TICK) {
            for (const f of plans[i]!.slice(k, k + HOSTILE_PER_TICK)) sendFrame(p, f);
            await sleep(100);
          }
        }),
      );
      clearInterval(streaming);
      const expected = tally(plans.flat(), (f) => f.reason);
      const total = sent.reduce((a, n) => a + n, 0);
      await until(() => honest.every((p, i) => p.ofType('update').length === total - sent[i]!), 'every honest update at every other phone', 30_000);
      for (const [i, p] of honest.entries()) {
        for (let j = 0; j < honest.length; j++) {
          if (j === i) continue;
          expect(p.ofType('update').filter((m) => m.sliderId === `bh-${j}`).map((m) => m.seq), `bh-${j} at bh-${i}`).toEqual(Array.from({ length: sent[j]! }, (_, k) => k));
        }
        // from the hostile phones, only their (legitimate) connect ever arrives
        const fromEvil = p.messages.filter((m) => String(m.sliderId).startsWith('be-'));
        expect(fromEvil).toEqual([{ type: 'connect', sliderId: 'be-0' }, { type: 'connect', sliderId: 'be-1' }]); // broadcast: no hue
        expect(p.messages.filter((m) => !['welcome', 'connect', 'update'].includes(String(m.type ?? 'update')))).toEqual([]);
      }
      const m = await b.metrics();
      for (const reason of Object.keys(m.dropped)) expect(m.dropped[reason], reason).toBe(expected[reason] ?? 0);
      recordFigures('hostile-relay', { broadcastMode: { framesTried: plans.flat().length, honestPhones: honest.length, honestUpdates: total, droppedByReason: expected } });
    } finally {
      await b.stop();
    }
  }, 60_000);

  it('fragmented messages: judged whole (size, UTF-8 across fragments), an honest one delivered intact', async () => {
    const r = await spawnRelay(['--ping-interval', '3600']);
    try {
      const s = keep(await Peer.open(r.url));
      s.send({ type: 'hello', role: 'sink' });
      const phone = keep(await claim(r.url, 'frag'));
      const text = honestText('frag', 7);
      // one message in three fragments, a control frame in between
      phone.ws.send(text.slice(0, 10), { fin: false });
      phone.ws.ping();
      phone.ws.send(text.slice(10, 30), { fin: false });
      phone.ws.send(text.slice(30), { fin: true });
      await until(() => s.ofType('update').length === 1, 'the fragmented update at the sink');
      expect(s.texts.at(-1)).toBe(text);
      // a two-byte character split across fragments is valid UTF-8 once joined (then refused by the schema)
      const bytes = Buffer.from(`{"x":1,"y":1,"speed":1,"angle":1,"sliderId":"frag","note":"\u00e9"}`);
      const cut = bytes.indexOf(0xc3) + 1;
      phone.ws.send(bytes.subarray(0, cut), { fin: false, binary: false });
      phone.ws.send(bytes.subarray(cut), { fin: true });
      await until(async () => (await r.metrics()).dropped.schema === 1, 'the joined message judged by the schema');
      // small fragments adding up to more than the limit: closed with 1009
      const big = keep(await Peer.open(r.url));
      for (let i = 0; i < 3; i++) big.ws.send('x'.repeat(400), { fin: i === 2 });
      await big.waitClosed();
      expect(big.closeCode).toBe(1009);
      // an unfinished message, then the socket goes: nothing to count, nothing forwarded
      const unfinished = keep(await Peer.open(r.url));
      unfinished.ws.send(honestText('never', 1).slice(0, 20), { fin: false });
      unfinished.socket.destroy();
      await until(async () => (await r.metrics()).connections.unknown === 0, 'the unfinished connection gone');
      const m = await r.metrics();
      expect(m.dropped).toMatchObject({ too_large: 1, schema: 1, not_utf8: 0 });
      expect(Object.values(m.dropped).reduce((a, b) => a + b, 0)).toBe(2);
      expect(s.ofType('update')).toHaveLength(1);
      expect(phone.ofType('error').map((e) => e.code)).toEqual(['schema']);
    } finally {
      await r.stop();
    }
  });
});
