"""Save the project and open it again (driver `reopen`), as far as scripts can tell.

https://docs.derivative.ca/OP_Class#Storage: "Storage is saved in .toe and .tox files and restored on startup";
a key with a startup value (storeStartupValue) "will take on this value when the file starts up".
https://docs.derivative.ca/AbsTime_Class: absolute time "starts counting from 0 when the TouchDesigner
process starts".

- Storage: keys with a startup value take it; every other value goes through pickle. A value that cannot be
  pickled is recorded as a script error ('<save>') and is missing after the reopen. UNVERIFIED: what
  TouchDesigner does with such a value (refuse the save, drop the key, keep a placeholder); scripts should
  keep only picklable values in storage or give them a startup value. Operators in storage are saved as
  references to their paths.
- Modules are dropped (compiled again on first use), pending runs dropped, parameters and table contents
  kept, connections end without callbacks and active WebSocket DATs make a new attempt.
- absTime restarts from 0 (a new process); the wall clock goes on. The timeline opens in the state the
  `timeline` variant gives.
- Execute DATs: onProjectPreSave/onProjectPostSave around the save, then onStart and onCreate as at load.
"""
import io
import pickle

from .ops import OP


class _Saver(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, OP):
            return ('op', obj.path)
        return None


class _Loader(pickle.Unpickler):
    def __init__(self, data, world):
        super().__init__(io.BytesIO(data))
        self._world = world

    def persistent_load(self, pid):
        kind, path = pid
        return self._world.resolve(path) if kind == 'op' else None


def _dumps(value):
    buf = io.BytesIO()
    _Saver(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buf.getvalue()


def _saved_storage(world, op):
    """The storage as the .toe would hold it: key -> pickled bytes (the startup value where there is one)."""
    saved = {}
    keys = list(op._storage) + [k for k in op._startup if k not in op._storage]
    for key in keys:
        value = op._startup[key] if key in op._startup else op._storage[key]
        try:
            saved[key] = _dumps(value)
        except Exception as exc:  # pickle raises PicklingError, TypeError, AttributeError...
            world.record_error(op, '<save>', 'storage key %r of %s cannot be saved: %s: %s'
                               % (key, op.path, type(exc).__name__, exc))
    return saved


def reopen(world):
    executes = world.executes()
    for ex in executes:
        ex.fire('onProjectPreSave')
    operators = world.saved_operators()
    saved = {op: _saved_storage(world, op) for op in operators}
    for ex in executes:
        ex.fire('onProjectPostSave')

    # the old process ends: no callbacks
    for ws in world.websockets():
        ws.close_silently()
    servers = [srv for srv in world.webservers() if srv.running]
    for srv in world.webservers():
        srv.close_silently()
    world.runs.clear()
    for op in operators:
        if hasattr(op, 'drop_modules'):
            op.drop_modules()

    # the new process starts
    t = world.absTime
    t.frame, t.seconds, t.step, t.stepSeconds = 0, 0.0, 0, 0.0
    world.playing = world.variants['timeline'] == 'playing'
    for op, keys in saved.items():
        op._storage = {}
        for key, data in keys.items():
            op._storage[key] = _Loader(data, world).load()
    for ws in world.websockets():
        if ws.par.active.eval():
            ws._start_attempt()
    for srv in servers:
        srv._start()
    world.start(create=True)
    return {'operators': len(operators), 'storageKeys': sum(len(k) for k in saved.values())}

