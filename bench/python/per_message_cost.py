"""Per-message cost of WebSocket DAT callbacks in the TouchDesigner emulator (tdemu), at several user counts.

Usage: python3 per_message_cost.py CONFIG.json   (PYTHONPATH must reach the tdemu package)
CONFIG: {"impls": {"NAME": {"callbacks": FILE, "execute": FILE, "chop": FILE?}}, "users": [10, ...], "seconds": S,
         "repeats": R, "messagesPerFrame": K, "deletesPerRepeat": D, "seed": N}
Prints one JSON document: for each user count and implementation, the time per update message (median over
R repeats of at least S seconds each, round-robin over all pairs), per delete (+ re-append, so the table size
holds), the
amortised frame work (Execute DAT onFrameStart: pruning), and the emulator's counted table operations per
message. Like the emulator's own `timeit`, the timed call is the callback itself (onReceiveText): the WebSocket
DAT's FIFO is C++ in TouchDesigner, not the script's cost. An implementation with a "chop" file also gets the
Script CHOP it feeds: its cooks (one per frame that changed something) fall in the frame time, and a forced cook
is timed on its own ("cookUs", median).
"""
import json
import random
import statistics
import sys
import time

from tdemu.scriptchop import ScriptCHOP
from tdemu.world import World

HEADER = ['user', 'valuex', 'valuey', 'speed', 'angle']


def update_text(uid, rnd):
    x = round(rnd.uniform(-170, 170), 2)
    y = round(rnd.uniform(-170, 170), 2)
    return '{"x":%s,"y":%s,"speed":%s,"angle":%s,"sliderId":%d}' % (
        x, y, round(rnd.uniform(0, 100), 1), round(rnd.uniform(0, 360), 1), uid)


class Bench:
    """One emulated project running one implementation, with `users` users in its table."""

    def __init__(self, impl, users, rnd):
        w = self.world = World(fps=60, echo_errors=False)
        w.table('test_test', [HEADER])
        with open(impl['callbacks']) as f:
            w.text_dat('websocket1_callbacks', f.read())
        with open(impl['execute']) as f:
            w.execute('execute1', f.read())
        self.chop = None
        if impl.get('chop'):
            with open(impl['chop']) as f:
                w.text_dat('tdcrowd_chop_callbacks', f.read())
            self.chop = w.add(ScriptCHOP('tdcrowd_chop', w, callbacks='tdcrowd_chop_callbacks'))
        self.ws = w.websocket('websocket1', 'websocket1_callbacks')
        self.ws.par.active = True
        w.start()
        w.step()  # the loopback server accepts the connection on the next frame
        if not self.ws.connected:
            raise RuntimeError('emulated WebSocket DAT did not connect')
        self.fn = w.op('websocket1_callbacks').module.onReceiveText
        self.users = users
        self.rnd = rnd
        for uid in range(users):
            self.fn(self.ws, 1, '{"type":"connect","sliderId":%d}' % uid)
            self.fn(self.ws, 1, update_text(uid, rnd))
        self.check()

    def check(self):
        if self.world.errors:
            raise RuntimeError('script errors: %r' % self.world.errors[:3])
        table = self.world.op('test_test')
        if table.numRows != self.users + 1:
            raise RuntimeError('table has %d rows for %d users' % (table.numRows - 1, self.users))

    def updates(self, seconds, per_frame):
        """Random users' updates, a frame stepped every `per_frame` messages; returns (messages, s, frame s)."""
        fn, ws, rnd, n, w = self.fn, self.ws, self.rnd, self.users, self.world
        if not hasattr(self, 'pool'):
            # every user appears in the pool (a silent one would be pruned), in random order, several times
            ids = list(range(n)) * max(2, 4000 // n)
            rnd.shuffle(ids)
            self.pool = [update_text(uid, rnd) for uid in ids]
            self.at = 0
        pool = self.pool
        count = 0
        spent = 0.0
        frames = 0.0
        while spent < seconds:
            if self.at + per_frame > len(pool):
                self.at = 0
            msgs = pool[self.at:self.at + per_frame]
            self.at += per_frame
            t0 = time.perf_counter()
            for m in msgs:
                fn(ws, 1, m)
            t1 = time.perf_counter()
            w.step()  # Execute DAT onFrameStart (pruning) between message bursts, as in TouchDesigner
            t2 = time.perf_counter()
            spent += t1 - t0
            frames += t2 - t1
            count += len(msgs)
        return count, spent, frames

    def deletes(self, count):
        """Deletes `count` random users and appends each again (the table keeps its size); delete times."""
        fn, ws, rnd = self.fn, self.ws, self.rnd
        ids = [rnd.randrange(self.users) for _ in range(count)]
        dels = ['{"type":"delete","sliderId":%d}' % uid for uid in ids]
        back = [update_text(uid, rnd) for uid in ids]
        times = []
        for d, b in zip(dels, back):
            t0 = time.perf_counter()
            fn(ws, 1, d)
            times.append(time.perf_counter() - t0)
            fn(ws, 1, b)
        return times

    def cook_times(self, count=20):
        """Forced cooks of the Script CHOP, each after one update (so the state changed); seconds each."""
        if self.chop is None:
            return []
        times = []
        for _ in range(count):
            self.fn(self.ws, 1, update_text(self.rnd.randrange(self.users), self.rnd))
            t0 = time.perf_counter()
            self.chop.cook(force=True)
            times.append(time.perf_counter() - t0)
        if self.chop.numSamples < self.users or self.world.errors:
            raise RuntimeError('Script CHOP has %d samples for %d users; errors %r'
                               % (self.chop.numSamples, self.users, self.world.errors[:2]))
        return times

    def ops_per_update(self, samples=1600):  # a multiple of the callbacks' AUDIT_EVERY (16): every run sees as many audits
        counter = self.world.counter
        counter.reset()
        for _ in range(samples):
            self.fn(self.ws, 1, update_text(self.rnd.randrange(self.users), self.rnd))
        snap = counter.snapshot()
        counter.reset()
        return {k: round(v / samples, 2) for k, v in sorted(snap.items())}


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    out = {'python': sys.version.split()[0], 'rows': []}
    benches = []
    for users in cfg['users']:
        for name, impl in cfg['impls'].items():
            t0 = time.perf_counter()
            b = Bench(impl, users, random.Random(cfg.get('seed', 1) * 100003 + users))
            b.name = name
            b.setup_s = time.perf_counter() - t0
            b.per_msg, b.frame_cost, b.del_times, b.cook_s = [], [], [], []
            benches.append(b)
    # Round-robin over every (users, implementation) pair: a busy moment on a shared machine lands on all of
    # them alike, so both the flatness (10 vs 2000 users) and the speed-up compare like with like.
    for _ in range(cfg['repeats']):
        for b in benches:
            n, s, fs = b.updates(cfg['seconds'], cfg['messagesPerFrame'])
            b.per_msg.append(s / n)
            b.frame_cost.append(fs / n)
            b.del_times.extend(b.deletes(cfg['deletesPerRepeat']))
            b.cook_s.extend(b.cook_times(cfg.get('cooksPerRepeat', 5)))
    for b in benches:
        b.check()
        row = {
            'users': b.users, 'impl': b.name,
            'updateUs': statistics.median(b.per_msg) * 1e6,
            'updateUsMin': min(b.per_msg) * 1e6,
            'updateUsAll': [round(v * 1e6, 3) for v in b.per_msg],
            'frameUsPerMsg': statistics.median(b.frame_cost) * 1e6,
            'deleteUs': statistics.median(b.del_times) * 1e6,  # one by one: the median ignores preempted ones
            'deletes': len(b.del_times),
            'opsPerUpdate': b.ops_per_update(),
            'cookUs': statistics.median(b.cook_s) * 1e6 if b.cook_s else None,
            'setupS': round(b.setup_s, 3),
        }
        out['rows'].append(row)
        sys.stderr.write('%5d users %-10s update %9.2f us (min %.2f)  delete %9.2f us\n' % (
            b.users, b.name, row['updateUs'], row['updateUsMin'], row['deleteUs']))
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
