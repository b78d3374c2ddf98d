"""The JSON hot path of two versions of the WebSocket DAT callbacks side by side: onReceiveText of a known user's
update, 2000 users in the table, the same 20 000 random updates, 30 alternating rounds (median and min per
message). For changes to the hot path, e.g. the Script CHOP's mirror (issue 14):

    git show be0c93e:td/websocket_callbacks.py > /tmp/old.py; git show be0c93e:td/execute.py > /tmp/old_execute.py
    PYTHONPATH=src/emulate/python python3 bench/python/hot_path_ab.py /tmp/old.py /tmp/old_execute.py \
        td/websocket_callbacks.py td/execute.py
"""
import random
import statistics
import sys
import time

from tdemu.world import World


def make(callbacks, execute):
    w = World(echo_errors=False)
    w.table('test_test', [['user', 'valuex', 'valuey', 'speed', 'angle']])
    with open(callbacks) as f:
        w.text_dat('websocket1_callbacks', f.read())
    with open(execute) as f:
        w.execute('execute1', f.read())
    ws = w.websocket('websocket1', 'websocket1_callbacks')
    ws.par.active = True
    w.start()
    w.step()
    fn = w.op('websocket1_callbacks').module.onReceiveText
    rnd = random.Random(1)
    for i in range(2000):
        fn(ws, 1, '{"x":1,"y":1,"speed":1,"angle":1,"sliderId":%d}' % i)
    msgs = ['{"x":%s,"y":%s,"speed":%s,"angle":%s,"sliderId":%d}' % (
        round(rnd.uniform(-170, 170), 2), round(rnd.uniform(-170, 170), 2), round(rnd.uniform(0, 100), 1),
        round(rnd.uniform(0, 360), 1), rnd.randrange(2000)) for _ in range(20000)]
    if w.errors:
        raise RuntimeError(w.errors[:2])
    return fn, ws, msgs


def main():
    a = make(sys.argv[1], sys.argv[2])
    b = make(sys.argv[3], sys.argv[4])
    res = {'before': [], 'after': []}
    for r in range(30):
        order = (('before', a), ('after', b)) if r % 2 else (('after', b), ('before', a))
        for name, (fn, ws, msgs) in order:
            t = time.perf_counter()
            for m in msgs:
                fn(ws, 1, m)
            res[name].append((time.perf_counter() - t) / len(msgs) * 1e6)
    for k, v in res.items():
        print('%-6s median %.3f us  min %.3f us' % (k, statistics.median(v), min(v)))
    print('after/before: median %.3f  min %.3f' % (statistics.median(res['after']) / statistics.median(res['before']),
                                                  min(res['after']) / min(res['before'])))


if __name__ == '__main__':
    main()
