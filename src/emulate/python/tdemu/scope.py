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


def make_op(world, base):
    """td.op for scripts in component `base`: op('path') finds an operator relative to it (None when
    missing); op.TDResources is the built-in component with independent time (https://docs.derivative.ca/
    Td_Module, Run_Command_Examples). Any other shortcut raises AttributeError, as an unknown one does.
    A closure, not an object with __call__: it runs on every message, and this is the cheapest call."""
    children = base._children  # the same dict for the component's life (renames edit it in place)
    resolve = world.resolve

    def op(path, *more, includeUtility=False):
        try:
            found = children.get(path)  # the common case: a sibling by name
        except TypeError:  # unhashable: resolve() says what it is
            found = None
        if found is not None:
            return found
        for p in (path,) + more:
            found = resolve(p, base)
            if found is not None:
                return found
        return None

    op.TDResources = world.tdresources
    return op
