"""JSON-lines driver: `python3 -m tdemu.driver` reads one command per line on stdin and answers one line
per command on stdout ({"id", "ok", "result"|"error"}). With the bridge link, network actions the scripts
take (open, close, send) are written as {"event": ...} lines as they happen, before the command's answer.

Tests use it to run a scenario against the generated scripts; `tdcrowd emulate` uses it with a real socket.
"""
import base64
import json
import sys
import time

from .tutorial import TUTORIAL_CALLBACKS, TUTORIAL_EXECUTE
from .world import World


class BridgeLink:
    """Network side played by the parent process: every action becomes an event line on stdout."""

    def __init__(self, emit):
        self.emit = emit
        self.attempts = []

    def open(self, dat):
        self.attempts.append(dat.world.absTime.seconds)
        self.emit({'event': 'open', 'netaddress': dat.par.netaddress.eval(), 'port': dat.par.port.eval()})

    def close(self, dat):
        self.emit({'event': 'close'})

    def send(self, dat, kind, data):
        if kind == 'text':
            self.emit({'event': 'send', 'kind': kind, 'data': data.decode('utf-8', 'replace')})
        else:
            self.emit({'event': 'send', 'kind': kind, 'b64': base64.b64encode(data).decode('ascii')})


class Session:
    def __init__(self, emit):
        self.emit = emit
        self.world = None
        self.names = {}

    # ---- setup -------------------------------------------------------------------------------------
    def cmd_load(self, c):
        scripts = c.get('scripts')
        if c.get('preset') == 'tutorial':  # the tutorial's scanning callbacks, as a benchmark baseline
            scripts = {'websocket_callbacks.py': TUTORIAL_CALLBACKS, 'execute.py': TUTORIAL_EXECUTE}
            c.setdefault('tableRows', [['user', 'valuex', 'valuey', 'speed', 'angle']])
        self.names = {
            'table': c.get('table', 'test_test'),
            'websocket': c.get('websocketDat', 'websocket1'),
            'callbacks': c.get('callbacksDat', 'websocket1_callbacks'),
            'execute': c.get('executeDat', 'execute1'),
        }
        w = self.world = World(fps=c.get('fps', 60), order=c.get('order', 'frame_first'))
        w.table(self.names['table'], c.get('tableRows'))
        w.text_dat(self.names['callbacks'], scripts['websocket_callbacks.py'])
        w.execute(self.names['execute'], scripts['execute.py'])
        link = BridgeLink(self.emit) if c.get('link') == 'bridge' else None
        ws = w.websocket(self.names['websocket'], self.names['callbacks'], link=link,
                         netaddress=c.get('netaddress', 'localhost'), port=c.get('port', 8080))
        if link is None:
            ws.link.up = c.get('serverUp', True)
        if c.get('active', True):
            ws.par.active = True
        return {'loaded': True}

    def _ws(self):
        return self.world.op(self.names['websocket'])

    def _table(self):
        return self.world.op(self.names['table'])

    def _callbacks_module(self):
        return self.world.op(self.names['callbacks']).module

    # ---- time ----------------------------------------------------------------------------------------
    def cmd_start(self, c):
        self.world.start(create=c.get('create', False))
        return self.cmd_time(c)

    def cmd_create(self, c):
        for ex in self.world.executes():
            ex.fire('onCreate')
        return self.cmd_time(c)

    def cmd_step(self, c):
        for _ in range(int(c.get('frames', 1))):
            self.world.step(c.get('dt'))
        return self.cmd_time(c)

    def cmd_advance(self, c):
        self.world.advance(c['seconds'], c.get('dt'))
        return self.cmd_time(c)

    def cmd_time(self, c):
        return {'seconds': self.world.absTime.seconds, 'frame': self.world.absTime.frame}

    # ---- network ---------------------------------------------------------------------------------------
    def cmd_connect(self, c):
        return {'connected': self._ws().connect()}

    def cmd_disconnect(self, c):
        return {'disconnected': self._ws().disconnect()}

    def cmd_server(self, c):
        self._ws().link.up = bool(c['up'])
        return {}

    def cmd_text(self, c):
        ws = self._ws()
        if c.get('queued'):
            ws.queue_text(c['data'])
            return {}
        return {'row': ws.inject_text(c['data'])}

    def cmd_texts(self, c):
        ws = self._ws()
        for m in c['data']:
            ws.inject_text(m)
        return {'count': len(c['data'])}

    def cmd_cost(self, c):
        """Counted table operations for each message, injected one by one."""
        ws = self._ws()
        counter = self.world.counter
        costs = []
        for m in c['data']:
            counter.reset()
            ws.inject_text(m)
            costs.append(counter.snapshot())
        return {'costs': costs}

    def cmd_timeit(self, c):
        """Wall time of onReceiveText alone for each message (for benchmarks, never for tests). The WebSocket
        DAT's own FIFO bookkeeping is left out: in TouchDesigner that is C++, not the script's cost."""
        ws = self._ws()
        dat = self.world.op(self.names['callbacks'])
        fn = dat.module.onReceiveText
        data = c['data']
        errors = len(self.world.errors)
        start = time.perf_counter()
        for m in data:
            fn(ws, 1, m)
        elapsed = time.perf_counter() - start
        if len(self.world.errors) != errors:
            raise RuntimeError('script errors during timeit')
        return {'seconds': elapsed, 'perMessage': elapsed / max(1, len(data)), 'count': len(data)}

    def cmd_ping(self, c):
        self._ws().inject_ping(base64.b64decode(c.get('b64', '')))
        return {}

    def cmd_binary(self, c):
        self._ws().inject_binary(base64.b64decode(c.get('b64', '')))
        return {}

    def cmd_set_par(self, c):
        setattr(self.world.op(c['op']).par, c['name'], c['value'])
        return {}

    def cmd_reload(self, c):
        self.world.op(c['op']).reload()
        return {}

    def cmd_clear_table(self, c):
        self._table().clear(keepFirstRow=c.get('keepFirstRow', False))
        return {}

    def cmd_set_table(self, c):
        t = self._table()
        t.clear()
        for row in c['rows']:
            t.appendRow(row)
        return {}

    # ---- reading state ------------------------------------------------------------------------------
    def cmd_state(self, c):
        w = self.world
        ws = self._ws()
        module = self._callbacks_module()
        stats = getattr(module, 'stats', None)
        if callable(stats):  # the generated scripts keep their counters in operator storage, behind stats()
            stats = stats()
        outbox = list(ws.outbox)
        if c.get('drainOutbox'):
            ws.outbox.clear()
        return {
            'table': self._table().values(),
            'outbox': outbox,
            'stats': json.loads(json.dumps(stats)) if stats is not None else None,
            'errors': w.errors,
            'ops': w.counter.snapshot(),
            'seconds': w.absTime.seconds,
            'frame': w.absTime.frame,
            'connected': ws.connected,
            'active': ws.par.active.eval(),
            'attempts': list(ws.link.attempts),
            'debugCount': w.debug_count,
            'debugTail': [t for _, t in w.debug_log[-20:]],
            'pendingRuns': len(w.pending_runs()),
            'tableLog': self._table().log[-20:],
        }

    def cmd_ops_reset(self, c):
        self.world.counter.reset()
        return {}

    def handle(self, c):
        fn = getattr(self, 'cmd_' + str(c.get('cmd')), None)
        if fn is None:
            raise ValueError('unknown command %r' % c.get('cmd'))
        if self.world is None and c.get('cmd') != 'load':
            raise ValueError('send {"cmd": "load", ...} first')
        return fn(c)


def main(stdin=sys.stdin, stdout=sys.stdout):
    def emit(obj):
        stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
        stdout.flush()

    session = Session(emit)
    for line in stdin:
        line = line.strip()
        if not line:
            continue
        cid = None
        try:
            c = json.loads(line)
            cid = c.get('id')
            result = session.handle(c)
            emit({'id': cid, 'ok': True, 'result': result})
        except Exception as exc:  # a bad command must not end the session
            emit({'id': cid, 'ok': False, 'error': '%s: %s' % (type(exc).__name__, exc)})


if __name__ == '__main__':
    main()
