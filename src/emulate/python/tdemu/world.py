"""The emulated project: the operator tree, the td globals scripts see, clocks, run() queue, errors, frame driver.

Tree: `/` holds `/project1` (the component the scripts live in) and `/sys/TDResources`.

Frame (the real order is UNVERIFIED, so it is configurable): the clocks advance (wall always, the timeline and
absTime per play state and variants), due run() scripts run, then either Execute onFrameStart before the
WebSocket messages ('frame_first', default) or after them ('messages_first'), then onFrameEnd, then runs made
with endFrame=True. onFrameStart/onFrameEnd skip paused frames with `frame_start_when_paused` off. Dirty Script
CHOPs cook after onFrameEnd, before the endFrame runs (scriptchop.py).
"""
import sys
import traceback
import types

from . import optypes
from .clock import AbsTime, Clock, EmulatedTime
from .comp import COMP, TDResources
from .counter import OpCounter
from .execute import ExecuteDAT
from .ops import OP, TextDAT, tdError
from .runs import Run, Runs
from .scriptchop import ScriptCHOP
from .scope import make_builtins, make_op
from .table import TableDAT
from .variants import resolve as resolve_variants
from .oscin import OscInDAT
from .webserver import WebServerDAT
from .websocket import LoopbackLink, LoopbackServer, WebSocketDAT

MAX_LOG = 2000
TEXTPORT_KEEP = 2000


class _Mod:
    """td.mod: `mod.name` / `mod('path')` give a DAT's module (https://docs.derivative.ca/MOD_Class)."""

    def __init__(self, world):
        self._world = world

    def __getattr__(self, name):
        dat = self._world.op(name)
        if dat is None or not hasattr(dat, 'module'):
            raise ModuleNotFoundError(name)
        return dat.module

    def __call__(self, path):
        dat = self._world.op(path)
        if dat is None or not hasattr(dat, 'module'):
            raise ModuleNotFoundError(path)
        return dat.module


class _Project:
    def __init__(self, world):
        self.cookRate = world.fps
        self.realTime = True
        self.name = 'emulated.toe'


class _RunShortcut:
    """td.run as a script sees it: the calling DAT is `me` for the script and the default delayRef."""

    __slots__ = ('_world', '_me')

    def __init__(self, world, me):
        self._world = world
        self._me = me

    def __call__(self, script, *args, **kwargs):
        return self._world.run(script, *args, _me=self._me, **kwargs)


class World:
    def __init__(self, fps=60, order='frame_first', echo_errors=True, variants=None):
        if order not in ('frame_first', 'messages_first'):
            raise ValueError('order must be frame_first or messages_first')
        self.fps = fps
        self.echo_errors = echo_errors  # tracebacks to stderr, as TouchDesigner prints them to the Textport
        self.order = order
        self.variants = resolve_variants(variants)
        self.wall_clock = Clock()       # every step
        self.timeline_clock = Clock()   # only while playing
        self.absTime = AbsTime()
        self.playing = self.variants['timeline'] == 'playing'
        self.time_module = EmulatedTime(self.wall_clock)
        self.counter = OpCounter()
        self.errors = []       # {'op', 'callback', 'error', 'traceback'}
        self.debug_log = []    # (seconds, text), last MAX_LOG lines
        self.debug_count = 0
        self.textport = []     # lines scripts printed (print, debug, tracebacks), last TEXTPORT_KEEP
        self.loopback = LoopbackServer()
        self.link_factory = None  # makes the network side of a new WebSocket DAT (default: loopback)
        self.optypes = optypes
        self._tree_cache = None
        self._chops_cache = None
        self.cooking = []      # Script CHOPs cooking now (innermost last): their fetch() calls are dependencies
        self.root = COMP('', self)
        self.project_comp = self.root._adopt(COMP('project1', self))
        self.tdresources = self.root._adopt(COMP('sys', self))._adopt(TDResources('TDResources', self))
        self.runs = Runs(self)
        self._mod = _Mod(self)
        self.project = _Project(self)
        self.builtins = make_builtins(self)

    @property
    def ops(self):
        """The project component's operators by name."""
        return self.project_comp._children

    @property
    def wall(self):
        return self.wall_clock.seconds

    # ---- building the network --------------------------------------------------------------------
    def add(self, op):
        return self.project_comp._adopt(op)

    def table(self, name, rows=None):
        return self.add(TableDAT(name, rows, counter=self.counter, world=self))

    def text_dat(self, name, text=''):
        return self.add(TextDAT(name, text, self))

    def websocket(self, name, callbacks, **kwargs):
        return self.add(WebSocketDAT(name, self, callbacks=callbacks, **kwargs))

    def execute(self, name, text, **toggles):
        return self.add(ExecuteDAT(name, text, self, **toggles))

    def new_link(self):
        return self.link_factory() if self.link_factory is not None else LoopbackLink(server=self.loopback)

    def tree_changed(self):
        self._tree_cache = None
        self._chops_cache = None

    def script_chops(self):
        if self._chops_cache is None:
            self._chops_cache = [o for o in self.operators() if isinstance(o, ScriptCHOP)]
        return self._chops_cache

    def storage_changed(self, op, key):
        """op.store(key): Script CHOPs that fetched it while cooking become dirty (variant `storage_recook`)."""
        if not self.variants['storage_recook']:
            return
        for chop in self.script_chops():
            chop.storage_changed(op, key)

    def cook_pass(self):
        """The frame's cook: every dirty Script CHOP cooks (each counts as used: instancing reads it)."""
        for chop in self.script_chops():
            if chop.dirty and chop.valid:
                chop.cook()

    def operators(self):
        """Every operator in the project, depth first (cached until the tree changes)."""
        if self._tree_cache is None:
            self._tree_cache = list(self.project_comp.walk())
        return self._tree_cache

    def saved_operators(self):
        """What a .toe holds: the root, the project and everything in it (not /sys)."""
        return [self.root, self.project_comp] + self.operators()

    # ---- finding operators ---------------------------------------------------------------------------
    def resolve(self, path, base=None):
        """An operator from a path relative to `base` (default: the project component), an absolute path, an
        operator (if still valid) or an id; None when nothing matches. Pattern characters match the first
        operator (https://docs.derivative.ca/Td_Module op(), https://docs.derivative.ca/Pattern_Matching)."""
        if isinstance(path, OP):
            return path if path.valid else None
        if isinstance(path, int) and not isinstance(path, bool):
            for o in [self.root] + list(self.root.walk()):
                if o.id == path:
                    return o
            return None
        if not isinstance(path, str) or not path:
            return None
        node = base if base is not None else self.project_comp
        if path.startswith('/'):
            node = self.root
        for part in path.split('/'):
            if part in ('', '.'):
                continue
            if part == '..':
                node = node._parent if node._parent is not None else node
                continue
            children = getattr(node, '_children', None)
            if children is None:
                return None
            child = children.get(part)
            if child is None and any(ch in part for ch in '*?['):
                import fnmatch
                child = next((o for n, o in children.items() if fnmatch.fnmatchcase(n, part)), None)
            if child is None:
                return None
            node = child
        return node

    def op(self, path, *more, includeUtility=False):
        for p in (path,) + more:
            found = self.resolve(p)
            if found is not None:
                return found
        return None

    def parent(self, n=1):
        return self.project_comp

    # ---- td globals ------------------------------------------------------------------------------
    def debug(self, *args):
        text = ' '.join(str(a) for a in args)
        self.debug_count += 1
        self.debug_log.append((self.absTime.seconds, text))
        if len(self.debug_log) > MAX_LOG:
            del self.debug_log[: len(self.debug_log) - MAX_LOG]
        self.write_textport(text + '\n')

    def write_textport(self, text):
        if text.endswith('\n'):
            text = text[:-1]
        self.textport.extend(text.split('\n'))
        if len(self.textport) > TEXTPORT_KEEP:
            del self.textport[: len(self.textport) - TEXTPORT_KEEP]

    def run(self, script, *args, endFrame=False, fromOP=None, asParameter=False, group=None,
            delayFrames=0, delayMilliSeconds=0, delayRef=None, wallTime=False, _me=None):
        """td.run (see runs.py for what is modelled and from which pages)."""
        if not (isinstance(script, str) or callable(script)):
            raise TypeError('run() takes a script string or a callable, not %s' % type(script).__name__)
        me = fromOP if fromOP is not None else _me
        ref = delayRef if delayRef is not None else me
        clock = self.wall_clock if getattr(ref, 'independent_time', False) else self.timeline_clock
        r = Run(self, script, args, me, clock, delayFrames or 0, float(delayMilliSeconds or 0) / 1000.0,
                endFrame, group)
        if not endFrame and not delayFrames and not delayMilliSeconds:
            r._state = 'done'
            self.execute_run(script, args, me)
            return r
        self.runs.add(r)
        return r

    def execute_run(self, source, args, me):
        try:
            if callable(source):
                source(*args)
            else:
                scope = self.td_globals(me)
                scope['args'] = args
                exec(compile(source, '<run>', 'exec'), scope)
        except Exception as exc:
            self._record(me, '<run>', exc)

    def run_script(self, dat):
        """Right-click > Run Script on a DAT: its text runs now as a script, `me` = the DAT, no args."""
        scope = self.td_globals(dat)
        scope['args'] = ()
        try:
            exec(compile(dat.text, dat.path, 'exec'), scope)
            return True
        except Exception as exc:
            self._record(dat, '<script>', exc)
            return False

    def td_globals(self, me=None):
        base = me._parent if me is not None and getattr(me, '_parent', None) is not None else self.project_comp
        g = {
            '__builtins__': self.builtins,
            'me': me,
            'op': make_op(self, base),
            'ops': base.ops,
            'parent': (lambda n=1: me.parent(n)) if me is not None and me._parent is not None
            else (lambda n=1: self.project_comp),
            'root': self.root,
            'absTime': self.absTime,
            'debug': self.debug,
            'run': _RunShortcut(self, me),
            'runs': self.runs,
            'project': self.project,
            'mod': self._mod,
            'isMainThread': lambda: True,
            'tdError': tdError,
        }
        g.update(self.optypes.td_globals())
        return g

    # ---- modules and calls -----------------------------------------------------------------------
    def _record(self, op, callback, exc):
        err = {
            'op': op.name if isinstance(op, OP) else None, 'callback': callback,
            'error': '%s: %s' % (type(exc).__name__, exc), 'traceback': traceback.format_exc(),
        }
        self.errors.append(err)
        self.write_textport(err['traceback'])
        if self.echo_errors:
            sys.stderr.write('script error in %s.%s\n%s' % (err['op'], callback, err['traceback']))
        if isinstance(op, OP):
            op.scriptErrors.append(err)

    def record_error(self, op, callback, text):
        """A script error that is not a Python exception in flight (a failed save)."""
        err = {'op': op.name if isinstance(op, OP) else None, 'callback': callback, 'error': text,
               'traceback': text + '\n'}
        self.errors.append(err)
        self.write_textport(text)
        if self.echo_errors:
            sys.stderr.write('script error in %s.%s\n%s\n' % (err['op'], callback, text))
        if isinstance(op, OP):
            op.scriptErrors.append(err)

    def load_module(self, dat, into=None):
        """Compiles a DAT's text into a new module, or into `into` (the in-place recompile variant)."""
        module = into if into is not None else types.ModuleType(dat.name)
        module.__dict__.update(self.td_globals(dat))
        module.__file__ = dat.path
        try:
            exec(compile(dat.text, dat.path, 'exec'), module.__dict__)
        except Exception as exc:
            self._record(dat, '<module>', exc)
        return module

    def call(self, dat, name, *args):
        """Calls a callback in a DAT's module; a missing function is skipped, an exception recorded."""
        fn = getattr(dat.callback_module(), name, None)
        if fn is None:
            return None
        try:
            return fn(*args)
        except Exception as exc:
            self._record(dat, name, exc)
            return None

    # ---- the frame driver --------------------------------------------------------------------------
    def executes(self):
        return sorted((o for o in self.operators() if isinstance(o, ExecuteDAT)), key=lambda o: o.name)

    def websockets(self):
        return [o for o in self.operators() if isinstance(o, WebSocketDAT)]

    def start(self, create=False):
        """Project start: onStart once (onCreate too when create=True, as when a .toe loads)."""
        for ex in self.executes():
            ex.fire('onStart')
        if create:
            for ex in self.executes():
                ex.fire('onCreate')

    def play(self):
        self._set_playing(True)

    def pause(self):
        self._set_playing(False)

    def _set_playing(self, playing):
        """onPlayStateChange(state): UNVERIFIED meaning of `state` (older template: "True if the timeline is
        paused"; 2025 docstring: "False if the timeline was just paused"). Here the older one."""
        if playing == self.playing:
            return
        self.playing = playing
        for ex in self.executes():
            ex.fire('onPlayStateChange', not playing)

    def step(self, dt=None):
        dt = 1.0 / self.fps if dt is None else float(dt)
        self.wall_clock.advance(dt)
        if self.playing:
            self.timeline_clock.advance(dt)
        if self.playing or not self.variants['abstime_pauses']:
            self.absTime.advance(dt)
        else:
            self.absTime.hold()
        self.runs.run_due(end_frame=False)
        frame_callbacks = self.playing or self.variants['frame_start_when_paused']
        if self.order == 'frame_first':
            if frame_callbacks:
                self._frame_start()
            self._deliver()
        else:
            self._deliver()
            if frame_callbacks:
                self._frame_start()
        if frame_callbacks:
            for ex in self.executes():
                ex.fire('onFrameEnd', self.absTime.frame)
        self.cook_pass()
        self.runs.run_due(end_frame=True)

    def _frame_start(self):
        for ex in self.executes():
            ex.fire('onFrameStart', self.absTime.frame)

    def webservers(self):
        return [o for o in self.operators() if isinstance(o, WebServerDAT)]

    def _deliver(self):
        for ws in self.websockets():
            ws.deliver_pending()
        for srv in self.webservers():
            srv.deliver_pending()
        for o in self.operators():
            if isinstance(o, OscInDAT):
                o.deliver_pending()

    def advance(self, seconds, dt=None):
        """Steps frames until `seconds` of wall time have passed."""
        dt = 1.0 / self.fps if dt is None else float(dt)
        end = self.wall_clock.seconds + float(seconds) - 1e-9
        frames = 0
        while self.wall_clock.seconds < end:
            self.step(dt)
            frames += 1
        return frames

    def pending_runs(self):
        return self.runs.describe()

    # ---- save and open again ---------------------------------------------------------------------------
    def reopen(self):
        from .persist import reopen
        return reopen(self)
