"""The operator base class (https://docs.derivative.ca/OP_Class) and the Text DAT, whose code is a module.

Every operator has a name (settable: the parent's lookups follow a rename), a path from its parent component,
tags, storage with startup values, docking, and `destroy()`. Code DATs are modules compiled on first use;
their globals persist between calls and what happens when the text changes is the `recompile` variant.
"""
import fnmatch
import itertools

from .par import ParCollection

_ids = itertools.count(1)
_MISSING = object()


class tdError(Exception):
    """td.tdError: what TouchDesigner raises for a deleted operator, a finished Run, a missing storage key."""


class StorageKeyError(tdError, KeyError):
    """fetch() of a missing key without a default. UNVERIFIED which exception TouchDesigner raises; this one is
    caught by `except KeyError`, `except tdError` and `except Exception` alike."""


class OP:
    family = 'DAT'
    OPType = 'OP'
    type = 'op'
    isDAT = True
    isCOMP = False
    isTable = False
    isText = False
    DEFAULT_NAME = 'op1'

    def __init__(self, name, world=None, pars=None, resolvers=None):
        self._name = name
        self._parent = None      # the COMP holding this operator
        self._valid = True
        self.world = world
        self.id = next(_ids)
        self.par = ParCollection(pars or {}, self._par_changed, resolvers, self._path_for_par)
        self._storage = {}
        self._startup = {}       # storeStartupValue: what the key holds when the project opens
        self._tags = set()
        self._dock = None
        self.scriptErrors = []
        self.comment = ''
        self.nodeX = 0
        self.nodeY = 0

    # ---- identity (https://docs.derivative.ca/OP_Class#General) ----------------------------------------
    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        value = str(value)
        if self._parent is not None:
            self._parent._rename(self, value)
        else:
            self._name = value

    @property
    def path(self):
        if self._parent is None:
            return '/project1/' + self._name  # a free-standing operator (unit tests): the flat project
        base = self._parent.path
        return (base if base.endswith('/') else base + '/') + self._name

    @property
    def opType(self):
        return self.OPType

    @property
    def valid(self):
        return self._valid

    @property
    def tags(self):
        return self._tags

    @tags.setter
    def tags(self, value):
        self._tags = set([value] if isinstance(value, str) else value)

    def parent(self, n=1):
        """https://docs.derivative.ca/OP_Class: the nth parent, None when there is none at that level."""
        node = self
        for _ in range(int(n)):
            node = node._parent
            if node is None:
                return None
        return node

    def destroy(self):
        """https://docs.derivative.ca/OP_Class#Methods: raises if already destroyed. Operators docked to this
        one go with it (UNVERIFIED for Python's destroy(); deleting a node in the network editor does)."""
        if not self._valid:
            raise tdError('Cannot access an operator that has been deleted')
        for other in list(self.docked):
            if other._valid:
                other.destroy()
        self._on_destroy()
        if self._parent is not None:
            self._parent._remove(self)
        self._valid = False

    def _on_destroy(self):
        pass

    # ---- COMP.create() hooks -----------------------------------------------------------------------------
    @classmethod
    def created(cls, name, world):
        """A new operator as COMP.create() makes it (the type's defaults)."""
        return cls(name, world=world)

    def _initialize(self):
        """The type's initialization script (COMP.create(..., initialize=True))."""

    # ---- docking (https://docs.derivative.ca/OP_Class#Node) ---------------------------------------------
    @property
    def dock(self):
        return self._dock if self._dock is not None and self._dock._valid else None

    @dock.setter
    def dock(self, other):
        if other is not None and not isinstance(other, OP):
            raise TypeError('dock takes an operator or None')
        self._dock = other

    @property
    def docked(self):
        siblings = self._parent._children.values() if self._parent is not None else ()
        return [o for o in siblings if o._dock is self and o._valid]

    # ---- parameters ------------------------------------------------------------------------------------
    def _par_changed(self, name, old, new):
        pass

    def _path_for_par(self, other):
        """An operator assigned to an OP parameter is stored as its name when it is a sibling, else its path."""
        if not isinstance(other, OP):
            raise TypeError('expected an operator or a path, not %s' % type(other).__name__)
        if other._parent is not None and other._parent is self._parent:
            return other.name
        return other.path

    def _resolve_par_op(self, value):
        if value is None or value == '':
            return None
        if isinstance(value, OP):
            return value if value._valid else None
        base = self._parent if self._parent is not None else None
        if self.world is None:
            return None
        return self.world.resolve(value, base)

    # ---- storage (https://docs.derivative.ca/OP_Class#Storage) --------------------------------------------
    @property
    def storage(self):
        return self._storage

    def store(self, key, value):
        self._storage[key] = value
        w = self.world
        if w is not None and w.script_chops():
            w.storage_changed(self, key)   # operators that fetched this key re-cook (scriptchop.py)
        return value

    def fetch(self, key, default=_MISSING, search=True, storeDefault=False):
        owner = self.fetchOwner(key) if search else (self if key in self._storage else None)
        if owner is not None:
            return owner._storage[key]
        if default is _MISSING:
            raise StorageKeyError(key)
        if storeDefault:
            self._storage[key] = default
        return default

    def fetchOwner(self, key):
        node = self
        while node is not None:
            if key in node._storage:
                return node
            node = node._parent
        return None

    def unstore(self, *keys):
        for pattern in keys:
            for k in [k for k in self._storage if fnmatch.fnmatchcase(str(k), str(pattern))]:
                del self._storage[k]

    def storeStartupValue(self, key, value):
        self._startup[key] = value

    def unstoreStartupValue(self, *keys):
        for pattern in keys:
            for k in [k for k in self._startup if fnmatch.fnmatchcase(str(k), str(pattern))]:
                del self._startup[k]

    # ---- errors and cooking ------------------------------------------------------------------------------
    def clearScriptErrors(self, recurse=False, error='*'):
        self.scriptErrors = []

    def cook(self, force=False, recurse=False, includeUtility=False):
        return None

    def __repr__(self):
        return 'type:%s path:%s' % (self.OPType, self.path)


class TextDAT(OP):
    """A DAT of Python code. Its module is compiled on first use. With the `module` variant 'separate' the
    callbacks of the WebSocket/Execute DAT run in a second instance, not the one `module` returns."""

    OPType = 'textDAT'
    type = 'text'
    isText = True
    isEditable = True
    DEFAULT_NAME = 'text1'

    def __init__(self, name, text='', world=None, pars=None):
        super().__init__(name, world, pars)
        self._text = text
        self._modules = {}   # 'public' / 'callback' -> module
        self._stale = set()  # instances whose text changed since they were compiled

    @property
    def text(self):
        return self._text

    @text.setter
    def text(self, value):
        self._text = str(value)
        self.reload()

    def reload(self):
        """The text changed (or a reload was asked for): every instance recompiles on its next use."""
        self._stale = set(self._modules)

    def drop_modules(self):
        """The project closed: modules are gone, the next use compiles afresh whatever the variant."""
        self._modules = {}
        self._stale = set()

    def _instance(self, kind):
        module = self._modules.get(kind)
        if module is not None and kind not in self._stale:
            return module
        into = None
        if module is not None and self.world.variants['recompile'] == 'in_place':
            into = module
        self._stale.discard(kind)
        module = self._modules[kind] = self.world.load_module(self, into=into)
        return module

    @property
    def module(self):
        return self._instance('public')

    def callback_module(self):
        """The instance a WebSocket/Execute DAT calls its callbacks in (the `module` variant)."""
        if self.world.variants['module'] == 'separate':
            return self._instance('callback')
        return self._instance('public')

    def run(self, *args, **kwargs):
        """https://docs.derivative.ca/DAT_Class#Methods: runs the DAT's text as a script."""
        return self.world.run(self._text, *args, _me=self, **kwargs)

    def write(self, *args):
        self._text += ''.join(str(a) for a in args)
        self.reload()
