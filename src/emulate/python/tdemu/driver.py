"""JSON-lines driver: `python3 -m tdemu.driver` reads one command per line on stdin and answers one line
per command on stdout ({"id", "ok", "result"|"error"}). With the bridge link, network actions the scripts
take (open, close, send) are written as {"event": ...} lines as they happen, before the command's answer.

Tests use it to run a scenario against the generated scripts; `tdcrowd emulate` uses it with a real socket.
"""
import base64
import json
import sys
import time

from .execute import ExecuteDAT, TOGGLES
from .scriptchop import ScriptCHOP
from .tutorial import TUTORIAL_CALLBACKS, TUTORIAL_EXECUTE
from .oscin import OscInDAT
from .webserver import WebServerDAT
from .websocket import LoopbackLink, WebSocketDAT
from .world import World

WEBSOCKET_PARS = ('active', 'netaddress', 'port', 'callbacks')
EXECUTE_PARS = ('active',) + tuple(TOGGLES.values())


class BridgeLink:
    """Network side played by the parent process: every action becomes an event line on stdout."""

    def __init__(self, emit):
        self.emit = emit
        self.attempts = []

    def open(self, dat, attempt):
        """The parent process opens a socket and answers with `connect` or `fail` (or nothing yet)."""
        self.attempts.append(dat.world.absTime.seconds)
        self.emit({'event': 'open', 'netaddress': dat.par.netaddress.eval(), 'port': dat.par.port.eval()})

    def settle(self, dat, netaddress, port):
        return False  # never asked: bridge attempts settle through the `connect` / `fail` commands

    def close(self, dat):
        self.emit({'event': 'close'})

    def send(self, dat, kind, data):
        if kind == 'text':
            self.emit({'event': 'send', 'kind': kind, 'data': data.decode('utf-8', 'replace')})
        else:
            self.emit({'event': 'send', 'kind': kind, 'b64': base64.b64encode(data).decode('ascii')})


class ServerBridgeLink:
    """A Web Server DAT's network side played by the parent process (a real HTTP/WebSocket server)."""

    def __init__(self, emit):
        self.emit = emit

    def listen(self, dat, port):
        self.emit({'event': 'srv_listen', 'port': port})

    def unlisten(self, dat):
        self.emit({'event': 'srv_stop'})

    def send(self, dat, client, kind, data):
        if kind == 'text':
            self.emit({'event': 'srv_send', 'client': client, 'kind': kind, 'data': data})
        else:
            self.emit({'event': 'srv_send', 'client': client, 'kind': kind,
                       'b64': base64.b64encode(bytes(data or b'')).decode('ascii')})

    def close(self, dat, client):
        self.emit({'event': 'srv_close', 'client': client})


def _jsonable(value):
    return json.loads(json.dumps(value, default=repr))


class Session:
    def __init__(self, emit):
        self.emit = emit
        self.world = None
        self.names = {}

    # ---- setup -------------------------------------------------------------------------------------
    def cmd_load(self, c):
        """The project. `empty: true` builds only the component (an installer creates the rest); `variants`
        picks the undocumented behaviours (variants.py)."""
        scripts = c.get('scripts')
        if c.get('preset') == 'tutorial':  # the tutorial's scanning callbacks, as a benchmark baseline
            scripts = {'websocket_callbacks.py': TUTORIAL_CALLBACKS, 'execute.py': TUTORIAL_EXECUTE}
            c.setdefault('tableRows', [['user', 'valuex', 'valuey', 'speed', 'angle']])
        target = c.get('target', 'websocket')
        self.names = {
            'target': target,
            'webserver': c.get('webserverDat', 'webserver1'),
            'oscin': c.get('oscinDat', 'oscin1'),
            'table': c.get('table', 'test_test'),
            'websocket': c.get('websocketDat', 'websocket1'),
            'callbacks': c.get('callbacksDat', 'websocket1_callbacks'),
            'execute': c.get('executeDat', 'execute1'),
            'chop': c.get('scriptChop', 'tdcrowd_chop'),
        }
        w = self.world = World(fps=c.get('fps', 60), order=c.get('order', 'frame_first'),
                               variants=c.get('variants'))
        netaddress, port = c.get('netaddress', 'localhost'), c.get('port', 8080)
        w.loopback.up = c.get('serverUp', True)
        w.loopback.target = (netaddress, port)  # where the pretend relay listens
        if c.get('link') == 'bridge':
            w.link_factory = lambda: BridgeLink(self.emit)
        if c.get('empty'):
            return {'loaded': True, 'variants': w.variants}
        w.table(self.names['table'], c.get('tableRows'))
        callbacks_file = {'websocket': 'websocket_callbacks.py', 'webserver': 'webserver_callbacks.py',
                          'osc': 'oscin_callbacks.py'}[target]
        w.text_dat(self.names['callbacks'], scripts[callbacks_file])
        w.execute(self.names['execute'], scripts['execute.py'])
        self.scripts = scripts
        if 'script_chop.py' in scripts and c.get('chop', True):
            self.cmd_add_chop({})
        if target == 'osc':
            dat = w.add(OscInDAT(self.names['oscin'], w, callbacks=self.names['callbacks'], port=port))
            dat.par.splitbundle = c.get('splitbundle', True)
            if c.get('active', True):
                dat.par.active = True
            return {'loaded': True, 'variants': w.variants}
        if target == 'webserver':
            link = ServerBridgeLink(self.emit) if c.get('link') == 'bridge' else None
            srv = w.add(WebServerDAT(self.names['webserver'], w, callbacks=self.names['callbacks'], port=port, link=link))
            if c.get('active', True):
                srv.par.active = True
            return {'loaded': True, 'variants': w.variants}
        ws = w.websocket(self.names['websocket'], self.names['callbacks'], netaddress=netaddress, port=port)
        if c.get('active', True):
            ws.par.active = True
        return {'loaded': True, 'variants': w.variants}

    def _op(self, role):
        return self.world.op(self.names[role])

    def _ws(self):
        ws = self._op('websocket')
        if ws is None:
            raise ValueError('no WebSocket DAT %r (load one, or point `use` at one)' % self.names['websocket'])
        return ws

    def _table(self):
        t = self._op('table')
        if t is None:
            raise ValueError('no Table DAT %r (point `use` at one)' % self.names['table'])
        return t

    def _callbacks_dat(self):
        dat = self._op('callbacks')
        if dat is None:
            raise ValueError('no callbacks DAT %r (point `use` at one)' % self.names['callbacks'])
        return dat

    def _named(self, c, key='op'):
        o = self.world.op(c[key])
        if o is None:
            raise ValueError('no operator %r' % c[key])
        return o

    # ---- time ----------------------------------------------------------------------------------------
    def cmd_start(self, c):
        self.world.start(create=c.get('create', False))
        return self.cmd_time(c)

    def cmd_create(self, c):
        """With `opType`: create an operator in the project as a user would by hand (COMP.create). Without:
        Execute DAT onCreate."""
        if 'opType' in c:
            o = self.world.project_comp.create(c['opType'], c.get('name'))
            return {'name': o.name, 'path': o.path, 'docked': [d.name for d in o.docked]}
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
        w = self.world
        return {'seconds': w.absTime.seconds, 'frame': w.absTime.frame, 'wall': w.wall,
                'timeline': 'playing' if w.playing else 'paused'}

    def cmd_play(self, c):
        self.world.play()
        return self.cmd_time(c)

    def cmd_pause(self, c):
        self.world.pause()
        return self.cmd_time(c)

    # ---- network ---------------------------------------------------------------------------------------
    def cmd_connect(self, c):
        """The attempt succeeded (the bridge's socket opened; in tests: connect now)."""
        return {'connected': self._ws().connect()}

    def cmd_fail(self, c):
        """The attempt in flight failed (the bridge's socket closed before it opened)."""
        return {'failed': self._ws().fail()}

    def cmd_disconnect(self, c):
        """The live connection is lost (onDisconnect)."""
        return {'disconnected': self._ws().disconnect()}

    cmd_drop = cmd_disconnect

    def cmd_server(self, c):
        """The loopback relay accepts (up) or refuses attempts; going down also drops live connections."""
        w = self.world
        w.loopback.up = bool(c['up'])
        dropped = 0
        if not w.loopback.up:
            for ws in w.websockets():
                if isinstance(ws.link, LoopbackLink) and ws.link.server is w.loopback and ws.disconnect():
                    dropped += 1
        return {'dropped': dropped}

    def cmd_fail_sends(self, c):
        ws = self._ws()
        ws.fail_sends = int(c.get('count', 1))
        return {'failSends': ws.fail_sends}

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
        fn = self._callbacks_dat().callback_module().onReceiveText
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
        data = base64.b64decode(c.get('b64', ''))
        if c.get('queued'):  # in order with queued text frames (the bridge): a join must reach the scripts first
            self._ws().queue_event('binary', data)
            return {}
        self._ws().inject_binary(data)
        return {}

    # ---- the Web Server DAT ------------------------------------------------------------------------------
    def _server(self):
        srv = self.world.op(self.names['webserver'])
        if not isinstance(srv, WebServerDAT):
            raise ValueError('no Web Server DAT %r' % self.names['webserver'])
        return srv

    def _server_event(self, kind, c, data=None):
        srv = self._server()
        if c.get('queued', True):
            srv.queue(kind, c['client'], data)
        else:
            srv.deliver(kind, c['client'], data)
        return {}

    def cmd_ws_open(self, c):
        """A phone's WebSocket opened (delivered at the next frame unless `queued: false`)."""
        return self._server_event('open', c, c.get('uri', '/'))

    def cmd_ws_text(self, c):
        return self._server_event('text', c, c['data'])

    def cmd_ws_texts(self, c):
        """Frames from one client, delivered now, one after the other."""
        srv = self._server()
        for m in c['data']:
            srv.deliver('text', c['client'], m)
        return {'count': len(c['data'])}

    def cmd_ws_mixed(self, c):
        """[client, text] pairs delivered now, in order (several phones interleaved)."""
        srv = self._server()
        for client, m in c['data']:
            srv.deliver('text', client, m)
        return {'count': len(c['data'])}

    def cmd_ws_binary(self, c):
        return self._server_event('binary', c, base64.b64decode(c.get('b64', '')))

    def cmd_ws_ping(self, c):
        return self._server_event('ping', c, base64.b64decode(c.get('b64', '')))

    def cmd_ws_pong(self, c):
        return self._server_event('pong', c, base64.b64decode(c.get('b64', '')))

    def cmd_ws_close(self, c):
        """The phone's connection closed (from its side, or the network)."""
        return self._server_event('close', c)

    def cmd_http(self, c):
        """An HTTP request, answered now: the response dict (data as text, or b64 for bytes)."""
        req = {k: c[k] for k in ('method', 'uri', 'pars', 'clientAddress', 'serverAddress', 'data') if k in c}
        out = self._server().http(req)
        if out is None:
            return {'response': None}
        resp = {}
        for k, v in out.items():
            if k == 'data' and isinstance(v, (bytes, bytearray)):
                resp['b64'] = base64.b64encode(bytes(v)).decode('ascii')
            else:
                resp[k] = v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
        return {'response': resp}

    def cmd_ws_timeit(self, c):
        """Wall time of onWebSocketReceiveText per message, [client, text] pairs (benchmarks only)."""
        srv = self._server()
        fn = self._callbacks_dat().callback_module().onWebSocketReceiveText
        errors = len(self.world.errors)
        data = c['data']
        start = time.perf_counter()
        for client, m in data:
            fn(srv, client, m)
        elapsed = time.perf_counter() - start
        if len(self.world.errors) != errors:
            raise RuntimeError('script errors during timeit')
        return {'seconds': elapsed, 'perMessage': elapsed / max(1, len(data)), 'count': len(data)}

    # ---- the OSC In DAT --------------------------------------------------------------------------------------
    def _oscin(self):
        dat = self.world.op(self.names['oscin'])
        if not isinstance(dat, OscInDAT):
            raise ValueError('no OSC In DAT %r' % self.names['oscin'])
        return dat

    def cmd_osc(self, c):
        """OSC packets ({address, args} or {bundle: [...]}) received now (or at the next frame with `queued`)."""
        dat = self._oscin()
        for packet in c['packets']:
            if c.get('queued'):
                dat.queue(packet)
            else:
                dat.deliver(packet)
        return {'count': len(c['packets'])}

    def cmd_osc_cost(self, c):
        """Counted table operations for each packet, delivered one by one."""
        dat = self._oscin()
        counter = self.world.counter
        costs = []
        for packet in c['packets']:
            counter.reset()
            dat.deliver(packet)
            costs.append(counter.snapshot())
        return {'costs': costs}

    def _server_state(self, drain):
        srv = self.world.op(self.names.get('webserver', ''))
        if not isinstance(srv, WebServerDAT):
            return None
        out = {'running': srv.running, 'clients': list(srv.clients), 'outbox': list(srv.outbox),
               'droppedSends': srv.dropped_sends, 'starts': srv.starts, 'stops': srv.stops,
               'pars': {k: srv.par._pars[k].val for k in ('active', 'port', 'callbacks')}}
        if drain:
            srv.outbox.clear()
        return out

    # ---- poking the project like a user would ----------------------------------------------------------
    def cmd_set_par(self, c):
        setattr(self._named(c).par, c['name'], c['value'])
        return {}

    def cmd_pulse(self, c):
        """Pulses a parameter (e.g. a Web Server DAT's Restart)."""
        getattr(self._named(c).par, c['name']).pulse()
        return {}

    def cmd_set_text(self, c):
        """A person pastes `text` into a DAT (its module recompiles per the `recompile` variant)."""
        self._named(c).text = c['text']
        return {}

    def cmd_reload(self, c):
        self._named(c).reload()
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

    def cmd_add_chop(self, c):
        """The Script CHOP with script_chop.py as its callbacks (at load, or later: a CHOP added to a running show)."""
        w = self.world
        cb = w.text_dat(self.names['chop'] + '_callbacks', self.scripts['script_chop.py'])
        w.add(ScriptCHOP(self.names['chop'], w, callbacks=cb.name))
        return {}

    def cmd_add_text(self, c):
        """A Text DAT holding `text` (e.g. the installer, pasted in by hand)."""
        dat = self.world.project_comp.create('textDAT', c['name'])
        dat.text = c.get('text', '')
        return {'name': dat.name, 'path': dat.path}

    def cmd_run_script(self, c):
        """Right-click > Run Script: the DAT's text runs now, `me` = the DAT; errors are recorded."""
        dat = self._named(c)
        errors = len(self.world.errors)
        ok = self.world.run_script(dat)
        return {'ok': ok, 'errors': self.world.errors[errors:]}

    def cmd_rename(self, c):
        o = self._named(c)
        old = o.name
        o.name = c['to']
        for role, name in self.names.items():  # the session follows the operator
            if name == old:
                self.names[role] = o.name
        return {'name': o.name, 'path': o.path}

    def cmd_use(self, c):
        """Points the session commands (text, state, connect...) at operators, e.g. ones an installer made."""
        for role, key in (('table', 'table'), ('websocket', 'websocketDat'), ('callbacks', 'callbacksDat'),
                          ('execute', 'executeDat'), ('chop', 'scriptChop'), ('webserver', 'webserverDat'),
                          ('oscin', 'oscinDat')):
            if c.get(key):
                self.names[role] = c[key]
        return {'names': dict(self.names)}

    def cmd_reopen(self, c):
        """Save the project and open it again (persist.py)."""
        return self.world.reopen()

    # ---- reading state ------------------------------------------------------------------------------
    def _operators(self):
        out = []
        for o in self.world.operators():
            entry = {'name': o.name, 'path': o.path, 'type': o.type, 'OPType': o.OPType, 'family': o.family,
                     'tags': sorted(o.tags), 'dock': o.dock.name if o.dock is not None else None}
            if isinstance(o, WebSocketDAT):
                entry['pars'] = {k: o.par._pars[k].val for k in WEBSOCKET_PARS}
            elif isinstance(o, ExecuteDAT):
                entry['pars'] = {k: o.par._pars[k].val for k in EXECUTE_PARS}
            elif isinstance(o, OscInDAT):
                entry['pars'] = {k: o.par._pars[k].val for k in ('active', 'port', 'splitbundle', 'callbacks')}
            elif isinstance(o, WebServerDAT):
                entry['pars'] = {k: o.par._pars[k].val for k in ('active', 'port', 'callbacks')}
            elif isinstance(o, ScriptCHOP):
                entry['pars'] = {'callbacks': o.par._pars['callbacks'].val}
            out.append(entry)
        return out

    def _chop_state(self):
        chop = self._op('chop') if 'chop' in self.names else None
        if not isinstance(chop, ScriptCHOP):
            return None
        return {'name': chop.name, 'numSamples': chop.numSamples, 'channels': chop.channels_json(),
                'totalCooks': chop.totalCooks, 'cookAbsFrame': chop.cookAbsFrame, 'dirty': chop.dirty,
                'cookWall': chop.cookWall[-50:]}

    def cmd_cook(self, c):
        """Cooks the Script CHOP now (`force`), as a viewer or another script would."""
        chop = self._op('chop')
        if not isinstance(chop, ScriptCHOP):
            raise ValueError('no Script CHOP %r' % self.names.get('chop'))
        chop.cook(force=bool(c.get('force', True)))
        return self._chop_state()

    def cmd_state(self, c):
        w = self.world
        ws = self._op('websocket')
        table = self._op('table')
        callbacks = self._op('callbacks')
        stats = None
        if callbacks is not None and hasattr(callbacks, 'callback_module'):
            stats = getattr(callbacks.callback_module(), 'stats', None)
            if callable(stats):  # the generated scripts keep their counters in operator storage, behind stats()
                stats = stats()
        outbox = list(ws.outbox) if ws is not None else []
        if c.get('drainOutbox') and ws is not None:
            ws.outbox.clear()
        storage = {}
        for o in w.saved_operators():
            if o._storage:
                storage[o.path] = _jsonable(o._storage)
        return {
            'table': table.values() if table is not None else [],
            'outbox': outbox,
            'stats': _jsonable(stats) if stats is not None else None,
            'errors': w.errors,
            'ops': w.counter.snapshot(),
            'seconds': w.absTime.seconds,
            'frame': w.absTime.frame,
            'wall': w.wall,
            'timeline': 'playing' if w.playing else 'paused',
            'variants': w.variants,
            'connected': ws.connected if ws is not None else False,
            'active': bool(ws.par.active.eval()) if ws is not None else False,
            'attempting': ws.attempting if ws is not None else False,
            'attempts': list(ws.link.attempts) if ws is not None else [],
            'attemptsWall': list(ws.attempt_walls) if ws is not None else [],
            'connects': ws.connects if ws is not None else 0,
            'websocketPars': {k: ws.par._pars[k].val for k in WEBSOCKET_PARS} if ws is not None else None,
            'debugCount': w.debug_count,
            'debugTail': [t for _, t in w.debug_log[-20:]],
            'textportTail': w.textport[-50:],
            'pendingRuns': len(w.runs),
            'runs': w.pending_runs(),
            'tableLog': table.log[-20:] if table is not None else [],
            'storage': storage,
            'operators': self._operators(),
            'names': dict(self.names),
            'chop': self._chop_state(),
            'server': self._server_state(c.get('drainOutbox')),
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


def main(stdin=sys.stdin, stdout=None):
    # stdout carries the protocol: keep the real one, and send anything else printed to stderr
    redirected = stdout is None
    if redirected:
        stdout = sys.stdout
        sys.stdout = sys.stderr
    try:
        _serve(stdin, stdout)
    finally:
        if redirected:
            sys.stdout = stdout


def _serve(stdin, stdout):
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
