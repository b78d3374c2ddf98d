"""The emulated project: operators by name, the td globals scripts see, run() queue, errors, frame driver.

Frame order (the real one is UNVERIFIED, so it is configurable): advance absTime, run due run() scripts,
then either Execute onFrameStart before the WebSocket messages ('frame_first', default) or after them
('messages_first'), then onFrameEnd.
"""
import sys
import traceback

from .counter import OpCounter
from .execute import ExecuteDAT
from .ops import TextDAT, new_module
from .table import TableDAT
from .websocket import WebSocketDAT

MAX_LOG = 2000


class AbsTime:
    def __init__(self):
        self.frame = 0
        self.seconds = 0.0
        self.step = 0
        self.stepSeconds = 0.0


class _Run:
    def __init__(self, entry):
        self._entry = entry

    def kill(self):
        self._entry['killed'] = True

    @property
    def active(self):
        return not self._entry['killed'] and not self._entry['done']


class _Component:
    """`parent()` and `root`: one flat component holding every operator."""

    def __init__(self, world):
        self._world = world
        self.path = '/project1'
        self.name = 'project1'

    def op(self, path):
        return self._world.op(path)

    def __repr__(self):
        return 'type:baseCOMP path:/project1'


class _Mod:
    def __init__(self, world):
        self._world = world

    def __getattr__(self, name):
        dat = self._world.op(name)
        if dat is None or not hasattr(dat, 'module'):
            raise ModuleNotFoundError(name)
        return dat.module

    def __call__(self, path):
        return self.__getattr__(path.rsplit('/', 1)[-1])


class _Project:
    def __init__(self, world):
        self.cookRate = world.fps
        self.realTime = True
        self.name = 'emulated.toe'


class World:
    def __init__(self, fps=60, order='frame_first', echo_errors=True):
        if order not in ('frame_first', 'messages_first'):
            raise ValueError('order must be frame_first or messages_first')
        self.fps = fps
        self.echo_errors = echo_errors  # tracebacks to stderr, as TouchDesigner prints them to the Textport
        self.order = order
        self.absTime = AbsTime()
        self.counter = OpCounter()
        self.ops = {}
        self.errors = []       # {'op', 'callback', 'error', 'traceback'}
        self.debug_log = []    # (seconds, text), last MAX_LOG lines
        self.debug_count = 0
        self._runs = []
        self._component = _Component(self)
        self._mod = _Mod(self)
        self.project = _Project(self)

    # ---- building the network --------------------------------------------------------------------
    def add(self, op):
        op.world = self
        self.ops[op.name] = op
        return op

    def table(self, name, rows=None):
        return self.add(TableDAT(name, rows, counter=self.counter, world=self))

    def text_dat(self, name, text=''):
        return self.add(TextDAT(name, text, self))

    def websocket(self, name, callbacks, **kwargs):
        return self.add(WebSocketDAT(name, self, callbacks=callbacks, **kwargs))

    def execute(self, name, text, **toggles):
        return self.add(ExecuteDAT(name, text, self, **toggles))

    # ---- td globals ------------------------------------------------------------------------------
    def op(self, path, *more, includeUtility=False):
        found = self.ops.get(path) if type(path) is str else None
        if found is not None:
            return found
        if not isinstance(path, str):
            return path if hasattr(path, 'path') else None
        name = path.rstrip('/').rsplit('/', 1)[-1]
        return self.ops.get(name)

    def parent(self, n=1):
        return self._component

    def debug(self, *args):
        text = ' '.join(str(a) for a in args)
        self.debug_count += 1
        self.debug_log.append((self.absTime.seconds, text))
        if len(self.debug_log) > MAX_LOG:
            del self.debug_log[: len(self.debug_log) - MAX_LOG]

    def run(self, script, *args, endFrame=False, fromOP=None, asParameter=False, group=None,
            delayFrames=0, delayMilliSeconds=0, delayRef=None, wallTime=False):
        entry = {
            'script': script, 'args': args, 'fromOP': fromOP, 'killed': False, 'done': False,
            'frame': self.absTime.frame + int(delayFrames),
            'seconds': self.absTime.seconds + float(delayMilliSeconds) / 1000.0,
        }
        self._runs.append(entry)
        return _Run(entry)

    def td_globals(self):
        return {
            'op': self.op, 'absTime': self.absTime, 'debug': self.debug, 'run': self.run,
            'project': self.project, 'parent': self.parent, 'root': self._component, 'mod': self._mod,
            'isMainThread': lambda: True,
        }

    # ---- modules and calls -----------------------------------------------------------------------
    def _record(self, op, callback, exc):
        err = {
            'op': op.name if op is not None else None, 'callback': callback,
            'error': '%s: %s' % (type(exc).__name__, exc), 'traceback': traceback.format_exc(),
        }
        self.errors.append(err)
        if self.echo_errors:
            sys.stderr.write('script error in %s.%s\n%s' % (err['op'], callback, err['traceback']))
        if op is not None:
            op.scriptErrors.append(err)

    def load_module(self, dat):
        module = new_module(dat, self.td_globals())
        try:
            exec(compile(dat.text, dat.path, 'exec'), module.__dict__)
        except Exception as exc:
            self._record(dat, '<module>', exc)
        return module

    def call(self, dat, name, *args):
        """Calls a callback in a DAT's module; a missing function is skipped, an exception recorded."""
        fn = getattr(dat.module, name, None)
        if fn is None:
            return None
        try:
            return fn(*args)
        except Exception as exc:
            self._record(dat, name, exc)
            return None

    # ---- the frame driver --------------------------------------------------------------------------
    def executes(self):
        return sorted((o for o in self.ops.values() if isinstance(o, ExecuteDAT)), key=lambda o: o.name)

    def websockets(self):
        return [o for o in self.ops.values() if isinstance(o, WebSocketDAT)]

    def start(self, create=False):
        """Project start: onStart once (onCreate too when create=True, as when a .toe loads)."""
        for ex in self.executes():
            ex.fire('onStart')
        if create:
            for ex in self.executes():
                ex.fire('onCreate')

    def _run_due(self):
        now_f, now_s = self.absTime.frame, self.absTime.seconds
        due = [e for e in self._runs if e['frame'] <= now_f and e['seconds'] <= now_s + 1e-9]
        if not due:
            return
        self._runs = [e for e in self._runs if e not in due]
        for e in due:
            if e['killed']:
                continue
            e['done'] = True
            scope = self.td_globals()
            scope['args'] = e['args']
            scope['me'] = e['fromOP']
            try:
                exec(compile(e['script'], '<run>', 'exec'), scope)
            except Exception as exc:
                self._record(e['fromOP'], '<run>', exc)

    def step(self, dt=None):
        dt = 1.0 / self.fps if dt is None else float(dt)
        t = self.absTime
        t.frame += 1
        t.seconds += dt
        t.step = 1
        t.stepSeconds = dt
        self._run_due()
        if self.order == 'frame_first':
            self._frame_start()
            self._deliver()
        else:
            self._deliver()
            self._frame_start()
        for ex in self.executes():
            ex.fire('onFrameEnd', t.frame)

    def _frame_start(self):
        for ex in self.executes():
            ex.fire('onFrameStart', self.absTime.frame)

    def _deliver(self):
        for ws in self.websockets():
            ws.deliver_pending()

    def advance(self, seconds, dt=None):
        """Steps frames until `seconds` of emulated time have passed."""
        dt = 1.0 / self.fps if dt is None else float(dt)
        end = self.absTime.seconds + float(seconds) - 1e-9
        frames = 0
        while self.absTime.seconds < end:
            self.step(dt)
            frames += 1
        return frames

    def pending_runs(self):
        return [{'script': e['script'], 'frame': e['frame'], 'seconds': e['seconds']}
                for e in self._runs if not e['killed']]
