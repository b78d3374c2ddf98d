"""Main-thread cost per 60 fps frame of the generated TouchDesigner scripts in the emulator (tdemu) with every phone
moving at 30 Hz: (a) the per-message JSON path against (b) f32-columns binary batches (issue 16).

Usage: python3 ingest_cost.py CONFIG.json   (PYTHONPATH must reach the tdemu package and bench/python)
CONFIG: {"impls": {"NAME": {"dir": GENERATED_DIR, "binary": bool}}, "users": [1000, ...], "rounds": R,
         "framesPerRound": F, "distinctFrames": D, "fps": 60, "rate": 30, "seed": N}

Each implementation runs in its own emulated project (Table DAT, WebSocket DAT and its callbacks, Execute DAT,
Script CHOP) holding N users who joined the way the relay makes them join (JSON: connect + update; f32-columns:
the acknowledgement, then connect frames with an index). A TouchDesigner frame at 60 fps receives the updates of
half the users (30 Hz each): (a) N/2 JSON update frames through onReceiveText, (b) one binary frame of N/2 rows
through onReceiveBinary (the relay at --batch-hz 60 sends one per tick). Then the frame itself: world.step(),
which runs the Execute DAT's onFrameStart (service(): watchdog, pruning, and for (b) the Table DAT refresh at
--table-hz) and the Script CHOP's cook. "frame" = receive + step. The updates are recorded ahead (no network): D
distinct frames cycled. All (users, implementation) pairs run round-robin, R rounds of F frames each, so load from
other processes falls on all alike; every frame is one sample (median, min and 90th percentile over all of them:
on a loaded machine the median keeps what a preemption adds to a few frames out of the figure).
An empty step (no message, nothing changed) is timed too: the emulator's own per-frame overhead.
"""
import json
import os
import random
import statistics
import sys
import time

from columns_frames import encode
from tdemu.scriptchop import ScriptCHOP
from tdemu.world import World

HEADER = ['user', 'valuex', 'valuey', 'speed', 'angle']
ACK = '{"type":"encoding","encoding":"f32-columns","version":1}'


def values(rnd, n):
    return ([round(rnd.uniform(-170, 170), 2) for _ in range(n)], [round(rnd.uniform(-170, 170), 2) for _ in range(n)],
            [round(rnd.uniform(0, 100), 1) for _ in range(n)], [round(rnd.uniform(0, 360), 1) for _ in range(n)])


class Project:
    """One emulated project running one generated build with `users` users."""

    def __init__(self, name, impl, users, cfg, rnd):
        self.name = name
        self.users = users
        self.binary = bool(impl.get('binary'))
        d = impl['dir']
        w = self.world = World(fps=cfg.get('fps', 60), echo_errors=False)
        w.table('test_test', [HEADER])
        with open(os.path.join(d, 'websocket_callbacks.py')) as f:
            w.text_dat('websocket1_callbacks', f.read())
        with open(os.path.join(d, 'execute.py')) as f:
            w.execute('execute1', f.read())
        with open(os.path.join(d, 'script_chop.py')) as f:
            w.text_dat('tdcrowd_chop_callbacks', f.read())
        self.chop = w.add(ScriptCHOP('tdcrowd_chop', w, callbacks='tdcrowd_chop_callbacks'))
        self.ws = w.websocket('websocket1', 'websocket1_callbacks')
        self.ws.par.active = True
        w.start()
        w.step()
        if not self.ws.connected:
            raise RuntimeError('emulated WebSocket DAT did not connect')
        module = w.op('websocket1_callbacks').module
        self.on_text = module.onReceiveText
        self.on_binary = module.onReceiveBinary
        ws = self.ws
        if self.binary:
            self.on_text(ws, 1, ACK)
        for uid in range(users):
            if self.binary:
                self.on_text(ws, 1, '{"type":"connect","sliderId":%d,"index":%d}' % (uid, uid))
            else:
                self.on_text(ws, 1, '{"type":"connect","sliderId":%d}' % uid)
        # the recorded frames: frame f carries the users u with u % 2 == f % 2 (30 Hz at 60 fps)
        self.frames = []
        per_frame = cfg.get('fps', 60) // cfg.get('rate', 30)
        for f in range(cfg['distinctFrames']):
            ids = list(range(f % per_frame, users, per_frame))
            x, y, speed, angle = values(rnd, len(ids))
            if self.binary:
                self.frames.append(encode(f, ids, x, y, speed, angle))
            else:
                self.frames.append(['{"x":%s,"y":%s,"speed":%s,"angle":%s,"sliderId":%d}' % (x[i], y[i], speed[i], angle[i], uid)
                                    for i, uid in enumerate(ids)])
        self.at = 0
        for _ in range(per_frame):
            self.frame()   # every user has values
        self.frame_us, self.recv_us, self.step_us, self.idle_us = [], [], [], []
        self.check()

    def frame(self):
        """One TouchDesigner frame: its updates arrive, then the frame runs. Returns (receive s, step s)."""
        data = self.frames[self.at]
        self.at = (self.at + 1) % len(self.frames)
        ws = self.ws
        t0 = time.perf_counter()
        if self.binary:
            self.on_binary(ws, data)
        else:
            fn = self.on_text
            for m in data:
                fn(ws, 1, m)
        t1 = time.perf_counter()
        self.world.step()
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1

    def round(self, frames):
        for _ in range(frames):
            r, s = self.frame()
            self.recv_us.append(r * 1e6)
            self.step_us.append(s * 1e6)
            self.frame_us.append((r + s) * 1e6)
        t0 = time.perf_counter()
        self.world.step()   # nothing arrived: the emulator's and the scripts' idle frame
        self.idle_us.append((time.perf_counter() - t0) * 1e6)

    def check(self):
        w = self.world
        if w.errors:
            raise RuntimeError('%s: script errors: %r' % (self.name, w.errors[:2]))
        table = w.op('test_test')
        if table.numRows != self.users + 1:
            raise RuntimeError('%s: table has %d rows for %d users' % (self.name, table.numRows - 1, self.users))
        if self.chop.numSamples != self.users or int(sum(self.chop['active'].vals)) != self.users:
            raise RuntimeError('%s: Script CHOP has %d samples for %d users' % (self.name, self.chop.numSamples, self.users))
        stats = w.op('websocket1_callbacks').module.stats()
        if stats['ignored']:
            raise RuntimeError('%s: ignored %r' % (self.name, stats['ignored']))


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    out = {'python': sys.version.split()[0], 'loadBefore': os.getloadavg()[0], 'rows': []}
    projects = []
    for users in cfg['users']:
        for name, impl in cfg['impls'].items():
            rnd = random.Random(cfg.get('seed', 1) * 100003 + users)
            t0 = time.perf_counter()
            p = Project(name, impl, users, cfg, rnd)
            p.setup_s = time.perf_counter() - t0
            projects.append(p)
            sys.stderr.write('set up %s at %d users in %.1f s\n' % (name, users, p.setup_s))
    for r in range(cfg['rounds']):
        for p in projects:
            p.round(cfg['framesPerRound'])
    out['loadAfter'] = os.getloadavg()[0]
    for p in projects:
        p.check()
        med = statistics.median
        row = {
            'users': p.users, 'impl': p.name, 'updatesPerFrame': len(p.frames[0]) if not p.binary else p.users // 2,
            'frameUs': med(p.frame_us), 'frameUsMin': min(p.frame_us),
            'receiveUs': med(p.recv_us), 'stepUs': med(p.step_us), 'idleStepUs': med(p.idle_us),
            'frameUsP90': sorted(p.frame_us)[int(0.9 * (len(p.frame_us) - 1))], 'frames': len(p.frame_us),
            'setupS': round(p.setup_s, 2),
        }
        out['rows'].append(row)
        sys.stderr.write('%6d users %-14s frame %9.1f us (min %.1f): receive %.1f + step %.1f; idle step %.1f\n' % (
            p.users, p.name, row['frameUs'], row['frameUsMin'], row['receiveUs'], row['stepUs'], row['idleStepUs']))
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
