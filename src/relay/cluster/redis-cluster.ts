/**
 * Several relay instances sharing one Redis act as one relay (README, "Scale-out with Redis"):
 * - identity: shared-ids.ts (claims, resumes and releases are atomic scripts);
 * - routing: each instance publishes its own users' frames once per tick (bus-publisher.ts) and hands the others'
 *   frames to its own sinks, whose queues coalesce, batch and apply back-pressure as for local users;
 * - presence: each instance keeps a liveness key with a TTL of one heartbeat, refreshed every half; an instance
 *   whose key is gone is dead: every instance deletes its users at its own sinks, and a sweep frees its ids.
 *   A dead instance's users are so deleted within 1.5 heartbeats; ids resumed elsewhere meanwhile have a new home
 *   and are not touched;
 * - snapshot: the users of the others, mirrored from the bus (remote-users.ts), so a new sink anywhere gets all;
 * - resync: after this instance (re)connects it asserts its ids again, asks every instance for its full state and
 *   sends its own. While Redis is unreachable, local phones keep reaching local sinks and new claims are refused.
 */
import { relayDeleteFrame, type SliderId } from '../../protocol/index.js';
import type { OutKind } from '../out-queue.js';
import { decode, encodeLine, type BusLine } from './bus-codec.js';
import { BusPublisher } from './bus-publisher.js';
import type { Cluster, ClusterHost, ClusterStatus, RemoteUser, SharedClaim } from './cluster.js';
import { BUS_CHANNEL, counterKey, INSTANCES, instanceKey } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { scrubSecrets } from './redis-url.js';
import { RemoteUsers } from './remote-users.js';
import { SharedIds } from './shared-ids.js';

const KIND_OP: Record<OutKind, 'c' | 'u' | 'd'> = { connect: 'c', update: 'u', delete: 'd' };
const OP_KIND = { c: 'connect', u: 'update', d: 'delete' } as const;
/** Answers to several "send me your users" within this window go out as one. */
const FULL_DEBOUNCE_MS = 30;

interface Alive {
  sinks: number;
  users: number;
  /** Which of the instance's sink changes `sinks` reflects: a liveness value read before the latest `s` notice is older. */
  seq: number;
}

export class RedisCluster implements Cluster {
  readonly shared = true;
  readonly instanceId: string;
  readonly banner: string;
  private readonly ids: SharedIds;
  private readonly bus: BusPublisher;
  private readonly remote = new RemoteUsers();
  /** Other instances alive at the last tick, and their latest sink counts (the bus updates these between ticks). */
  private alive = new Map<string, Alive>();
  private host: ClusterHost | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  /** In step with the others: connected, ids asserted, full state asked for. */
  private synced = false;
  private resyncing = false;
  private syncedAt = 0;
  private localSinks = 0;
  private sinkSeq = 0;
  /** A full state being received, per sender. */
  private readonly incomingFull = new Map<string, Set<string>>();
  private closed = false;
  private downSince: number | undefined;
  // metrics
  private resyncs = 0;
  private claimsUnavailable = 0;
  private remoteFramesIn = 0;
  private deadSwept = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly heartbeatMs: number,
    private readonly note: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    this.instanceId = link.instanceId;
    this.banner = `cluster: instance ${this.instanceId}, sharing Redis at ${link.target.label} with every relay started with the same --redis`;
    this.ids = new SharedIds(link.cmd, this.instanceId);
    this.bus = new BusPublisher(link.cmd, this.instanceId, () => this.synced && link.cmd.status === 'ready');
  }

  attach(host: ClusterHost): void {
    this.host = host;
    const { cmd, sub, target } = this.link;
    sub.on('message', (channel: string, message: string) => {
      if (channel === BUS_CHANNEL) this.onMessage(message);
    });
    for (const r of [cmd, sub]) {
      // Without a listener ioredis prints every failed retry; one line per outage is enough.
      r.on('error', (err: Error & { code?: string }) => this.lost(scrubSecrets(err.code ?? err.message, target)));
      r.on('close', () => this.lost('connection closed'));
      r.on('ready', () => void this.resync());
    }
    this.timer = setInterval(() => void this.tick(), Math.max(25, Math.floor(this.heartbeatMs / 2)));
    this.timer.unref();
    void this.resync();
  }

  async claim(key: string, id: SliderId, resume: string | undefined, token: string): Promise<SharedClaim> {
    if (!this.synced) return this.unavailable();
    let v;
    try {
      v = await this.ids.claim(key, token, resume);
    } catch {
      return this.unavailable();
    }
    switch (v.kind) {
      case 'claimed': {
        // Free in Redis, but this instance's sinks still show the user (its dead home was swept a moment ago, or
        // Redis restarted): it carries on from here, row unbroken.
        const user = this.remote.delete(key);
        if (user === undefined) return { kind: 'claimed' };
        this.bus.push('t', key, user.home);
        return { kind: 'resumed', from: user.home, user };
      }
      case 'taken':
        return { kind: 'refused', code: 'id_taken', message: `id ${JSON.stringify(id)} is in use by another connection` };
      case 'bad':
        return { kind: 'refused', code: 'bad_resume', message: `wrong resume token for id ${JSON.stringify(id)}` };
      case 'resumed': {
        // Redis still named this instance (a release it never heard of): nothing moves.
        if (v.holder === this.instanceId) return { kind: 'claimed' };
        const user = this.remote.delete(key);
        // Before the user's first frame from here: the old home closes its socket, the others follow the move.
        this.bus.push('t', key, v.holder);
        return { kind: 'resumed', from: v.holder, user };
      }
    }
  }

  async release(key: string): Promise<boolean> {
    if (!this.synced) return true;
    try {
      return await this.ids.release(key);
    } catch {
      // Redis went away meanwhile: nobody can have resumed the id elsewhere through it.
      return true;
    }
  }

  tokenChanged(key: string, token: string): void {
    if (this.synced) this.ids.rotate(key, token).catch(() => undefined);
  }

  publish(kind: OutKind, key: string, text: string): void {
    this.bus.push(KIND_OP[kind], key, text);
  }

  localSinksChanged(count: number): void {
    if (count === this.localSinks) return;
    this.localSinks = count;
    this.sinkSeq++;
    this.bus.push('s', '', `${count} ${this.sinkSeq}`);
    if (this.synced) this.heartbeat().catch(() => undefined);
  }

  sinksElsewhere(): number {
    let n = 0;
    for (const a of this.alive.values()) n += a.sinks;
    return n;
  }

  remoteUsers(): Iterable<RemoteUser> {
    return this.remote.values();
  }

  async counter(name: string): Promise<number> {
    return this.link.cmd.incr(counterKey(name));
  }

  status(localUsers: number): ClusterStatus {
    let users = localUsers;
    for (const a of this.alive.values()) users += a.users;
    return { instances: this.alive.size + 1, users, sinksElsewhere: this.sinksElsewhere(), redisUp: this.synced };
  }

  metricsText(localUsers: number): string {
    const s = this.status(localUsers);
    const out: string[] = [];
    const metric = (name: string, help: string, type: string, value: number): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    metric('tdcrowd_cluster_up', '1 while this instance reaches Redis and is in step with the other instances.', 'gauge', s.redisUp ? 1 : 0);
    metric('tdcrowd_cluster_instances', 'Relay instances alive in the cluster, this one included (as of the last heartbeat).', 'gauge', s.instances);
    metric('tdcrowd_cluster_users', 'Live users on every instance (as of the last heartbeat).', 'gauge', s.users);
    metric('tdcrowd_cluster_remote_users', 'Users of other instances this instance forwards to its sinks.', 'gauge', this.remote.size);
    metric('tdcrowd_cluster_sinks_elsewhere', 'Sinks on the other instances.', 'gauge', s.sinksElsewhere);
    metric('tdcrowd_cluster_bus_publishes_total', 'PUBLISH commands this instance sent (one per tick with frames).', 'counter', this.bus.published);
    metric('tdcrowd_cluster_bus_lines_out_total', 'Frames and notices this instance published.', 'counter', this.bus.framesOut);
    metric('tdcrowd_cluster_bus_lines_dropped_total', 'Frames not published because Redis was unreachable (the others resync after).', 'counter', this.bus.framesDropped);
    metric('tdcrowd_cluster_frames_in_total', 'Frames of other instances\' users received from the bus.', 'counter', this.remoteFramesIn);
    metric('tdcrowd_cluster_resyncs_total', 'Times this instance (re)joined the cluster after connecting to Redis.', 'counter', this.resyncs);
    metric('tdcrowd_cluster_claims_unavailable_total', 'Id claims refused because Redis was unreachable.', 'counter', this.claimsUnavailable);
    metric('tdcrowd_cluster_dead_users_deleted_total', 'Users of dead instances this instance deleted at its sinks.', 'counter', this.deadSwept);
    return `${out.join('\n')}\n`;
  }

  /** Stops without releasing ids or removing the liveness key: phones may resume on another instance meanwhile. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.fullTimer);
    this.bus.flush();
    this.bus.close();
    await Promise.allSettled([this.link.sub.quit(), this.link.cmd.quit()]);
    this.link.cmd.disconnect();
    this.link.sub.disconnect();
  }

  private unavailable(): SharedClaim {
    this.claimsUnavailable++;
    return {
      kind: 'refused',
      code: 'unavailable',
      message: 'the relay cannot check ids right now (its Redis is unreachable): try again in a few seconds',
    };
  }

  private lost(why: string): void {
    if (this.closed) return;
    this.synced = false;
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.note(`tdcrowd relay: Redis unreachable (${why}); local phones and sinks carry on, new ids wait until it is back`);
  }

  private bothReady(): boolean {
    return this.link.cmd.status === 'ready' && this.link.sub.status === 'ready';
  }

  /** (Re)joins the cluster: subscribed, alive, ids asserted; then asks for and sends the full state. */
  private async resync(): Promise<void> {
    if (this.closed || this.synced || this.resyncing || !this.bothReady()) return;
    const host = this.host;
    if (host === undefined) return;
    this.resyncing = true;
    try {
      await this.link.sub.subscribe(BUS_CHANNEL);
      await this.heartbeat();
      const lost = await this.ids.reassert(host.localUsers());
      // Claimed elsewhere while this instance could not say it held them: the other holder wins.
      for (const key of lost) host.takenAway(key);
      this.synced = true;
      this.syncedAt = Date.now();
      this.resyncs++;
      if (this.downSince !== undefined) {
        this.note(`tdcrowd relay: Redis is back after ${Math.round((Date.now() - this.downSince) / 1000)} s; instances resynced`);
        this.downSince = undefined;
      }
      this.bus.flush([encodeLine('s', '', `${this.localSinks} ${this.sinkSeq}`), encodeLine('q', '', '')]);
      this.sendFull();
      await this.tick();
    } catch {
      // The next ready or tick tries again.
    } finally {
      this.resyncing = false;
    }
  }

  private heartbeat(): Promise<unknown> {
    let users = 0;
    for (const u of this.host?.localUsers() ?? []) if (u.active) users++;
    const value = JSON.stringify({ sinks: this.localSinks, users, seq: this.sinkSeq });
    return this.link.cmd.multi().set(instanceKey(this.instanceId), value, 'PX', this.heartbeatMs).sadd(INSTANCES, this.instanceId).exec();
  }

  /** Every half heartbeat: stay alive, learn who else is, delete the users of the dead and free their ids. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    if (!this.synced) {
      await this.resync();
      return;
    }
    try {
      await this.heartbeat();
      const members = await this.link.cmd.smembers(INSTANCES);
      const candidates = [...new Set([...members, ...this.remote.homes(), ...this.alive.keys()])].filter((i) => i !== this.instanceId && i !== '');
      const values = candidates.length === 0 ? [] : await this.link.cmd.mget(...candidates.map(instanceKey));
      const alive = new Map<string, Alive>();
      candidates.forEach((inst, i) => {
        const v = values[i];
        if (v === null || v === undefined) return;
        let a: Alive = { sinks: 0, users: 0, seq: 0 };
        try {
          const j = JSON.parse(v) as Partial<Alive>;
          a = { sinks: Number(j.sinks) || 0, users: Number(j.users) || 0, seq: Number(j.seq) || 0 };
        } catch {
          // a foreign value: alive, nothing more known
        }
        // The bus may have told a newer sink count while this read was on its way.
        const known = this.alive.get(inst);
        if (known !== undefined && known.seq > a.seq) a = { ...a, sinks: known.sinks, seq: known.seq };
        alive.set(inst, a);
      });
      const sinksBefore = this.sinksElsewhere();
      this.alive = alive;
      if (this.sinksElsewhere() !== sinksBefore) this.host?.sinksChanged();
      const dead = members.filter((i) => i !== this.instanceId && !alive.has(i));
      await this.ids.sweep(dead);
      // Right after a (re)connect the others may not have renewed their keys yet: judge only after a full TTL.
      if (Date.now() - this.syncedAt >= this.heartbeatMs) {
        for (const home of this.remote.homes()) if (!alive.has(home)) this.deleteUsersOf(home, 'timeout');
      }
    } catch {
      // Redis went away mid-tick: the error and close events say so; the next tick tries again.
    }
  }

  private deleteUsersOf(home: string, reason: 'timeout' | 'closed'): void {
    for (const key of this.remote.keysOf(home)) {
      const u = this.remote.delete(key);
      if (u === undefined) continue;
      this.deadSwept += reason === 'timeout' ? 1 : 0;
      this.host?.deliver(key, 'delete', relayDeleteFrame(u.id, reason));
    }
  }

  /** Every local user, as one message; answers to several requests in a burst go out once. */
  private sendFull(): void {
    clearTimeout(this.fullTimer);
    this.fullTimer = undefined;
    const lines = [encodeLine('B', '', '')];
    for (const u of this.host?.localUsers() ?? []) if (u.active) lines.push(encodeLine('F', u.key, u.connectText, u.updateText ?? ''));
    lines.push(encodeLine('E', '', ''));
    this.bus.flush(lines);
  }

  private scheduleFull(): void {
    if (this.fullTimer !== undefined) return;
    this.fullTimer = setTimeout(() => this.sendFull(), FULL_DEBOUNCE_MS);
    this.fullTimer.unref();
  }

  private onMessage(message: string): void {
    const { from, lines } = decode(message);
    if (from === this.instanceId || from === '' || this.host === undefined) return;
    for (const line of lines) this.onLine(from, line, this.host);
  }

  private onLine(from: string, line: BusLine, host: ClusterHost): void {
    switch (line.op) {
      case 'c':
      case 'u':
      case 'd': {
        // A frame the old home sent before it heard of a resume, or one for a user that lives here now.
        if (host.holds(line.key)) return;
        const u = this.remote.get(line.key);
        if (u !== undefined && u.home !== from && u.previousHome === from) return;
        this.remoteFramesIn++;
        if (line.op === 'c') this.remote.connect(from, line.key, line.text);
        else if (line.op === 'u') this.remote.update(from, line.key, line.text);
        else this.remote.delete(line.key);
        host.deliver(line.key, OP_KIND[line.op], line.text);
        return;
      }
      case 't': {
        if (line.from === this.instanceId) {
          const was = host.takenAway(line.key);
          if (was !== undefined && was.active) {
            this.remote.set({ key: line.key, id: was.id, home: from, previousHome: this.instanceId, connectText: was.connectText, updateText: was.updateText });
          }
          return;
        }
        const u = this.remote.get(line.key);
        if (u !== undefined) {
          u.previousHome = u.home;
          u.home = from;
        }
        return;
      }
      case 's': {
        const a = this.alive.get(from);
        if (a !== undefined && a.seq > line.seq) return;
        const before = this.sinksElsewhere();
        this.alive.set(from, { sinks: line.sinks, users: a?.users ?? 0, seq: line.seq });
        if (this.sinksElsewhere() !== before) host.sinksChanged();
        return;
      }
      case 'q':
        this.scheduleFull();
        return;
      case 'B':
        this.incomingFull.set(from, new Set());
        return;
      case 'F': {
        const seen = this.incomingFull.get(from);
        if (seen === undefined || host.holds(line.key)) return;
        seen.add(line.key);
        const u = this.remote.get(line.key);
        if (u === undefined) {
          this.remote.connect(from, line.key, line.connectText);
          host.deliver(line.key, 'connect', line.connectText);
        } else u.home = from;
        if (line.updateText !== undefined && this.remote.get(line.key)?.updateText !== line.updateText) {
          this.remote.update(from, line.key, line.updateText);
          host.deliver(line.key, 'update', line.updateText);
        }
        return;
      }
      case 'E': {
        const seen = this.incomingFull.get(from);
        this.incomingFull.delete(from);
        if (seen === undefined) return;
        // Users the sender no longer has: they left while this instance could not hear it.
        for (const key of this.remote.keysOf(from)) {
          if (seen.has(key)) continue;
          const u = this.remote.delete(key);
          if (u !== undefined) host.deliver(key, 'delete', relayDeleteFrame(u.id, 'closed'));
        }
        return;
      }
    }
  }
}
