"""Per-message cost of the --target webserver callbacks (onWebSocketReceiveText: a phone moving its own knob) in
the TouchDesigner emulator (tdemu), beside the --target websocket callbacks (onReceiveText) in the same process.

Usage: python3 webserver_cost.py CONFIG.json   (PYTHONPATH must reach the tdemu package)
CONFIG: {"webserver": {"callbacks", "execute", "chop"}, "websocket": {"callbacks", "execute", "chop"},
         "phones": [10, ...], "seconds": S, "repeats": R, "hz": H, "fps": F, "seed": N}
Each phone sends H updates a second (a frame of 1/F s is stepped after every phones * H / F messages), so the
per-connection rate limit never binds: every update is applied (checked).
Prints one JSON document: per phone count and target, µs per update (median of R rounds of at least S seconds,
round-robin), the frame work per message (Execute DAT service: heartbeat and pruning; the Script CHOP's cook),
and counted table operations per update.
"""
import json
import random
import statistics
import sys
import time

from tdemu.scriptchop import ScriptCHOP
from tdemu.webserver import WebServerDAT
from tdemu.world import World

HEADER = ['user', 'valuex', 'valuey', 'speed', 'angle']


def update_text(uid, rnd, seq):
    # the page's update: the tutorial's fields plus seq and the sender clock
    return '{"x":%s,"y":%s,"speed":%s,"angle":%s,"sliderId":"p%d","seq":%d,"t":%d}' % (
        round(rnd.uniform(-170, 170), 2), round(rnd.uniform(-170, 170), 2), round(rnd.uniform(0, 100), 1),
        round(rnd.uniform(0, 360), 1), uid, seq, 1767225600000 + seq)


class Bench:
    def __init__(self, target, files, phones, rnd):
        self.target = target
        w = self.world = World(fps=60, echo_errors=False)
        w.table('test_test', [HEADER])
        cb = target + '_callbacks'
        with open(files['callbacks']) as f:
            w.text_dat(cb, f.read())
        with open(files['execute']) as f:
            w.execute('execute1', f.read())
        with open(files['chop']) as f:
            w.text_dat('tdcrowd_chop_callbacks', f.read())
        w.add(ScriptCHOP('tdcrowd_chop', w, callbacks='tdcrowd_chop_callbacks'))
        self.phones = phones
        self.rnd = rnd
        self.seq = 0
        if target == 'webserver':
            self.dat = w.add(WebServerDAT('webserver1', w, callbacks=cb, port=8080))
            self.dat.par.active = True
            w.start()
            self.fn = w.op(cb).module.onWebSocketReceiveText
            self.clients = ['10.0.%d.%d:5%04d' % (i >> 8, i & 255, i) for i in range(phones)]
            for i, c in enumerate(self.clients):
                self.dat.deliver('open', c, '/')
                self.fn(self.dat, c, '{"type":"connect","sliderId":"p%d"}' % i)
                self.fn(self.dat, c, update_text(i, rnd, 0))
        else:
            self.dat = w.websocket('websocket1', cb)
            self.dat.par.active = True
            w.start()
            w.step()
            fn = w.op(cb).module.onReceiveText
            self.fn = lambda dat, client, m: fn(dat, 1, m)
            self.clients = [None] * phones
            for i in range(phones):
                self.fn(self.dat, None, '{"type":"connect","sliderId":"p%d"}' % i)
                self.fn(self.dat, None, update_text(i, rnd, 0))
        w.step()
        self.check()

    def check(self):
        if self.world.errors:
            raise RuntimeError('script errors: %r' % self.world.errors[:3])
        st = self.world.op('test_test').fetch('tdcrowd_users', None, search=False)
        if st['stats']['ignored']:
            raise RuntimeError('%s: messages ignored: %r' % (self.target, st['stats']['ignored']))
        if self.world.op('test_test').numRows != self.phones + 1:
            raise RuntimeError('%s: table has %d rows for %d phones' % (self.target, self.world.op('test_test').numRows - 1, self.phones))

    def updates(self, seconds, per_frame):
        fn, dat, rnd, w = self.fn, self.dat, self.rnd, self.world
        if not hasattr(self, 'pool'):
            ids = list(range(self.phones)) * max(2, 4000 // self.phones)
            rnd.shuffle(ids)
            self.pool = [(self.clients[i], update_text(i, rnd, k + 1)) for k, i in enumerate(ids)]
            self.at = 0
        count, spent, frames = 0, 0.0, 0.0
        while spent < seconds:
            if self.at + per_frame > len(self.pool):
                self.at = 0
            msgs = self.pool[self.at:self.at + per_frame]
            self.at += per_frame
            t0 = time.perf_counter()
            for client, m in msgs:
                fn(dat, client, m)
            t1 = time.perf_counter()
            w.step(self.dt)   # Execute DAT service (heartbeat, pruning) and the Script CHOP's cook
            t2 = time.perf_counter()
            spent += t1 - t0
            frames += t2 - t1
            count += len(msgs)
        return count, spent, frames

    def ops_per_update(self, samples=1600):
        counter = self.world.counter
        counter.reset()
        for k in range(samples):
            i = self.rnd.randrange(self.phones)
            self.fn(self.dat, self.clients[i], update_text(i, self.rnd, k))
        snap = counter.snapshot()
        counter.reset()
        return {k: round(v / samples, 2) for k, v in sorted(snap.items())}


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    benches = []
    for phones in cfg['phones']:
        for target in ('webserver', 'websocket'):
            b = Bench(target, cfg[target], phones, random.Random(cfg.get('seed', 1) * 7919 + phones))
            b.dt = 1.0 / cfg['fps']
            b.per_frame = max(1, int(round(phones * cfg['hz'] / cfg['fps'])))
            b.per_msg, b.frame = [], []
            benches.append(b)
    for _ in range(cfg['repeats']):
        for b in benches:
            n, s, fs = b.updates(cfg['seconds'], b.per_frame)
            b.per_msg.append(s / n)
            b.frame.append(fs / n)
    out = {'python': sys.version.split()[0], 'rows': []}
    for b in benches:
        b.check()
        row = {'phones': b.phones, 'target': b.target, 'updateUs': statistics.median(b.per_msg) * 1e6,
               'updateUsMin': min(b.per_msg) * 1e6, 'frameUsPerMsg': statistics.median(b.frame) * 1e6,
               'opsPerUpdate': b.ops_per_update()}
        out['rows'].append(row)
        sys.stderr.write('%5d phones %-10s update %7.2f us (min %.2f)  frame %.3f us/msg\n' % (
            b.phones, b.target, row['updateUs'], row['updateUsMin'], row['frameUsPerMsg']))
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
