"""Script CHOP (https://docs.derivative.ca/Script_CHOP, https://docs.derivative.ca/ScriptCHOP_Class,
https://docs.derivative.ca/CHOP_Class, https://docs.derivative.ca/Channel_Class).

Cooking:
- onCook(scriptOp) of the callbacks DAT runs on each cook. The CHOP methods that change it (clear, appendChan,
  numSamples, copyNumpyArray, Channel.copyNumpyArray/vals) raise tdError outside onCook: the class page says they
  are for the onCook callback ("Using them outside the callback may cause unexpected results").
- Dependencies: "every time that any Script OP runs it will make a list of operators, parameters, nodes etc that
  it depends upon, and when they change, the Script OP will re-cook" (Script_CHOP); "When an element of storage
  is changed by using n.store() ... operators that depend on it will automatically re-cook" (OP_Class, Storage).
  Modelled: every fetch() during a cook is recorded; a later store() of that key on that operator marks the CHOP
  dirty, unless the `storage_recook` variant is off. Changing an object fetched from storage in place is not a
  store() and marks nothing.
- A dirty CHOP cooks in the frame's cook pass (after the frame's callbacks and messages, before endFrame runs),
  timeline paused or not (the network keeps cooking while paused; UNVERIFIED for a CHOP nothing displays: here
  every Script CHOP counts as used). cook(force=True) cooks at once; cook() only when dirty.
- Channel values are numpy float32 arrays; copyNumpyArray checks dtype float32 and shape (numSamples,) as the
  pages require, and raises otherwise.
"""
from .ops import OP, TextDAT, tdError

_MISSING = object()


class Channel:
    __slots__ = ('_owner', 'name', '_vals', '_valid')

    def __init__(self, owner, name, vals):
        self._owner = owner
        self.name = name
        self._vals = vals
        self._valid = True

    @property
    def owner(self):
        return self._owner

    @property
    def valid(self):
        return self._valid

    @property
    def index(self):
        return self._owner._chans.index(self)

    @property
    def vals(self):
        return [float(v) for v in self._vals]

    @vals.setter
    def vals(self, values):
        self._owner._writable('Channel.vals')
        np = _numpy()
        arr = np.asarray(values, dtype=np.float32)
        if arr.shape != (self._owner._num_samples,):
            raise tdError('vals needs %d values, got %d' % (self._owner._num_samples, arr.size))
        self._vals = arr.copy()

    def __getitem__(self, i):
        return float(self._vals[i])

    def __len__(self):
        return len(self._vals)

    def eval(self, index=None):
        return float(self._vals[0 if index is None else index]) if len(self._vals) else 0.0

    def numpyArray(self):
        return self._vals.copy()

    def copyNumpyArray(self, numpyArray):
        self._owner._writable('Channel.copyNumpyArray')
        np = _numpy()
        if not isinstance(numpyArray, np.ndarray):
            raise TypeError('copyNumpyArray takes a numpy array, not %s' % type(numpyArray).__name__)
        if numpyArray.dtype != np.float32:
            raise tdError('copyNumpyArray: the data type must be float32, not %s' % numpyArray.dtype)
        if numpyArray.shape != (self._owner._num_samples,):
            raise tdError('copyNumpyArray: shape must be (%d,), not %r' % (self._owner._num_samples, numpyArray.shape))
        self._vals = numpyArray.copy()

    def __repr__(self):
        return 'type:Channel name:%s owner:%s' % (self.name, self._owner.path)


def _numpy():
    import numpy
    return numpy


class ScriptCHOP(OP):
    family = 'CHOP'
    OPType = 'scriptCHOP'
    type = 'script'
    isDAT = False
    isCHOP = True
    isTable = False
    DEFAULT_NAME = 'script1'

    def __init__(self, name, world=None, callbacks=None):
        super().__init__(name, world, {'callbacks': callbacks, 'modoutsidecook': False},
                         resolvers={'callbacks': self._resolve_par_op})
        self._chans = []
        self._num_samples = 1
        self.rate = 60.0
        self.start = 0
        self._cooking = False
        self.dirty = True
        self.deps = set()        # (operator id, key) fetched during the last cook
        self.totalCooks = 0
        self.cookAbsFrame = -1
        self.cookWall = []       # wall seconds of each cook (emulator only: tests read it through the driver)

    @classmethod
    def created(cls, name, world):
        return cls(name, world)

    def _initialize(self):
        """Like the WebSocket DAT, a docked callbacks DAT with the default template when the
        `create_docks_callbacks` variant is on ("By default, the Script CHOP is created with a docked DAT that
        contains three Python methods": https://docs.derivative.ca/Script_CHOP)."""
        if not self.world.variants['create_docks_callbacks']:
            return
        from .templates import SCRIPT_CHOP_CALLBACKS
        cb = self._parent.create(TextDAT, self.name + '_callbacks', initialize=False)
        cb.text = SCRIPT_CHOP_CALLBACKS
        cb.dock = self
        cb.nodeX, cb.nodeY = self.nodeX, self.nodeY - 100
        self.par.callbacks = cb

    def _par_changed(self, name, old, new):
        if name == 'callbacks':
            self.dirty = True    # a parameter change re-cooks (https://docs.derivative.ca/Cook)

    # ---- cooking -------------------------------------------------------------------------------------------
    def _writable(self, what):
        if not self._cooking and not self.par.modoutsidecook.eval():
            raise tdError('%s: only inside onCook (https://docs.derivative.ca/ScriptCHOP_Class)' % what)

    def record_fetch(self, owner, key):
        self.deps.add((owner.id, key))

    def storage_changed(self, owner, key):
        if (owner.id, key) in self.deps:
            self.dirty = True

    def cook(self, force=False, recurse=False, includeUtility=False):
        if not self._valid:
            raise tdError('Cannot access an operator that has been deleted')
        if not (force or self.dirty) or self._cooking:
            return None
        dat = self.par.callbacks.eval()
        self.deps = set()
        self.dirty = False
        self._cooking = True
        self.world.cooking.append(self)
        # fetch() records dependencies only during a cook: swapped in on the class for the cook's length, so the
        # message path (which fetches on every message) pays nothing for it
        plain = OP.fetch
        chop = self

        def fetch(owner, key, default=_MISSING, search=True, storeDefault=False):
            chop.record_fetch(owner, key)
            if default is _MISSING:
                return plain(owner, key, search=search, storeDefault=storeDefault)
            return plain(owner, key, default, search=search, storeDefault=storeDefault)

        OP.fetch = fetch
        try:
            if dat is not None and hasattr(dat, 'callback_module'):
                self.world.call(dat, 'onCook', self)
        finally:
            OP.fetch = plain
            self.world.cooking.pop()
            self._cooking = False
        self.totalCooks += 1
        self.cookAbsFrame = self.world.absTime.frame
        self.cookWall.append(self.world.wall)
        if len(self.cookWall) > 1000:
            del self.cookWall[:500]
        return None

    # ---- CHOP members (https://docs.derivative.ca/CHOP_Class) ----------------------------------------------
    @property
    def numChans(self):
        return len(self._chans)

    @property
    def numSamples(self):
        return self._num_samples

    @numSamples.setter
    def numSamples(self, n):
        self._writable('numSamples')
        n = int(n)
        if n < 0:
            raise tdError('numSamples must be >= 0')
        np = _numpy()
        for c in self._chans:
            old = c._vals
            c._vals = np.zeros(n, dtype=np.float32)
            c._vals[:min(n, len(old))] = old[:n]
        self._num_samples = n

    def clear(self):
        self._writable('clear')
        for c in self._chans:
            c._valid = False
        self._chans = []

    def appendChan(self, name=None):
        self._writable('appendChan')
        np = _numpy()
        if name is None:
            name = 'chan%d' % (len(self._chans) + 1)
        c = Channel(self, str(name), np.zeros(self._num_samples, dtype=np.float32))
        self._chans.append(c)
        return c

    def copyNumpyArray(self, numpyArray, baseName='chan'):
        self._writable('copyNumpyArray')
        np = _numpy()
        if numpyArray.dtype != np.float32 or numpyArray.ndim != 2:
            raise tdError('copyNumpyArray needs a 2-D float32 array (channels x samples)')
        self.clear()
        self._num_samples = numpyArray.shape[1]
        for i in range(numpyArray.shape[0]):
            self._chans.append(Channel(self, '%s%d' % (baseName, i + 1), numpyArray[i].copy()))

    def chans(self, *names, caseSensitive=True):
        if not names:
            return list(self._chans)
        import fnmatch
        out = []
        for n in names:
            for c in self._chans:
                if (isinstance(n, int) and c.index == n) or (isinstance(n, str) and fnmatch.fnmatchcase(c.name, n)):
                    if c not in out:
                        out.append(c)
        return out

    def chan(self, *names, caseSensitive=True):
        found = self.chans(*names, caseSensitive=caseSensitive) if names else []
        return found[0] if found else None

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._chans[key] if 0 <= key < len(self._chans) else None
        for c in self._chans:
            if c.name == key:
                return c
        return None

    def numpyArray(self):
        np = _numpy()
        if not self._chans:
            return np.zeros((0, self._num_samples), dtype=np.float32)
        return np.stack([c._vals for c in self._chans])

    def channels_json(self):
        """Emulator only: {name: [values]} for the driver's state."""
        return {c.name: [float(v) for v in c._vals] for c in self._chans}
