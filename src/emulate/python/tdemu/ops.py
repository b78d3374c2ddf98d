"""Operators that hold Python code: each one is a module, compiled once, whose globals persist between
calls and are lost when its text changes (TouchDesigner's 'DATs as modules')."""
import types

from .par import ParCollection


class OP:
    family = 'DAT'

    def __init__(self, name, world=None, pars=None):
        self.name = name
        self.path = '/project1/' + name
        self.world = world
        self.par = ParCollection(pars or {}, self._par_changed)
        self.storage = {}
        self.scriptErrors = []

    def _par_changed(self, name, old, new):
        pass

    def store(self, key, value):
        self.storage[key] = value
        return value

    def fetch(self, key, default=None, search=True, storeDefault=False):
        if key in self.storage:
            return self.storage[key]
        if storeDefault:
            self.storage[key] = default
        return default

    def unstore(self, *keys):
        for k in keys:
            self.storage.pop(k, None)

    def clearScriptErrors(self, recurse=False, error='*'):
        self.scriptErrors = []

    def cook(self, force=False, recurse=False, includeUtility=False):
        return None

    def __repr__(self):
        return 'type:%s path:%s' % (type(self).__name__, self.path)


class TextDAT(OP):
    """A DAT of Python code (the callbacks DAT). `module` execs the text once; setting `text` reloads."""

    isTable = False
    isText = True

    def __init__(self, name, text='', world=None, pars=None):
        super().__init__(name, world, pars)
        self._text = text
        self._module = None

    @property
    def text(self):
        return self._text

    @text.setter
    def text(self, value):
        self._text = value
        self._module = None

    def reload(self):
        self._module = None

    @property
    def module(self):
        if self._module is None:
            self._module = self.world.load_module(self)
        return self._module

    def run(self, *args, **kwargs):
        return self.world.run(self._text, *args, fromOP=self, **kwargs)


def new_module(dat, td_globals):
    module = types.ModuleType(dat.name)
    module.__dict__.update(td_globals)
    module.__dict__['me'] = dat
    module.__file__ = dat.path
    return module
