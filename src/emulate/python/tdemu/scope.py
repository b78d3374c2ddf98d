"""What a script sees: the td globals (https://docs.derivative.ca/Td_Module) and its own builtins.

Each script's `__builtins__` is a copy of the real builtins with two changes:
- `__import__`: `import time` (and `from time import ...`) gives the emulated time module that follows the
  driven wall clock; `import name` finds a DAT module in the script's component first, as TouchDesigner does
  (https://docs.derivative.ca/MOD_Class); everything else is the real import.
- `print`: writes to the world's textport, never to the driver's stdout (which carries the protocol).
"""
import builtins as _builtins
import sys

def make_builtins(world):
    real_import = _builtins.__import__
    real_print = _builtins.print

    def emulated_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            if name == 'time':
                return world.time_module
            if '.' not in name:
                me = (globals or {}).get('me')
                base = getattr(me, '_parent', None) or world.project_comp
                dat = base._children.get(name)
                if dat is not None and hasattr(dat, 'callback_module') and dat is not me:
                    return dat.module
        return real_import(name, globals, locals, fromlist, level)

    def emulated_print(*args, sep=' ', end='\n', file=None, flush=False):
        if file is not None and file is not sys.stdout and file is not sys.__stdout__:
            return real_print(*args, sep=sep, end=end, file=file, flush=flush)
        sep = ' ' if sep is None else sep
        end = '\n' if end is None else end
        world.write_textport(sep.join(str(a) for a in args) + end)
        return None

    scope = dict(_builtins.__dict__)
    scope['__import__'] = emulated_import
    scope['print'] = emulated_print
    return scope


class OpShortcut:
    """td.op: op('path') finds an operator relative to the script's component (None when missing);
    op.TDResources is the built-in component with independent time (https://docs.derivative.ca/Td_Module,
    Run_Command_Examples). Other global shortcuts raise AttributeError, as an unknown shortcut does."""

    __slots__ = ('_world', '_base')

    def __init__(self, world, base):
        self._world = world
        self._base = base

    def __call__(self, *paths, includeUtility=False):
        world = self._world
        base = self._base
        for path in paths:
            if type(path) is str:
                found = base._children.get(path)  # the common case: a sibling by name
                if found is not None:
                    return found
            found = world.resolve(path, base)
            if found is not None:
                return found
        return None

    @property
    def TDResources(self):
        return self._world.tdresources

    def __getattr__(self, name):
        raise AttributeError('no global OP shortcut %r' % name)

    def __repr__(self):
        return '<td.op relative to %s>' % self._base.path
