"""Parameters: `dat.par.active` is a Par object (use .eval()); assigning `dat.par.active = v` sets it.

OP-type parameters (the WebSocket DAT's `callbacks`) hold a path string; eval() gives the operator it names,
or None (https://docs.derivative.ca/Par_Class: eval() "the evaluated value"; .val the constant).
"""


class Par:
    __slots__ = ('name', '_value', '_on_change', '_resolve')

    def __init__(self, name, value, on_change=None, resolve=None):
        self.name = name
        self._value = value
        self._on_change = on_change
        self._resolve = resolve

    def eval(self):
        if self._resolve is not None:
            return self._resolve(self._value)
        return self._value

    @property
    def val(self):
        return self._value

    def set(self, value):
        old = self._value
        self._value = value
        if self._on_change is not None and old != value:
            self._on_change(self.name, old, value)

    def pulse(self):
        if self._on_change is not None:
            self._on_change(self.name, None, 'pulse')

    def __bool__(self):
        return bool(self._value)

    def __eq__(self, other):
        return self._value == (other._value if isinstance(other, Par) else other)

    __hash__ = None

    def __repr__(self):
        return 'Par %s=%r' % (self.name, self._value)


class ParCollection:
    """`resolvers` maps OP-type parameter names to a function path -> OP or None; assigning an OP object to
    one stores a path (`to_path`)."""

    def __init__(self, values, on_change=None, resolvers=None, to_path=None):
        resolvers = resolvers or {}
        object.__setattr__(self, '_pars', {
            k: Par(k, v, on_change, resolvers.get(k)) for k, v in values.items()})
        object.__setattr__(self, '_to_path', to_path)

    def __getattr__(self, name):
        try:
            return self._pars[name]
        except KeyError:
            raise AttributeError('no parameter %r' % name) from None

    def __setattr__(self, name, value):
        par = self._pars.get(name)
        if par is None:
            raise AttributeError('no parameter %r' % name)
        if isinstance(value, Par):
            value = value.eval() if par._resolve is None else value.val
        if par._resolve is not None and value is not None and not isinstance(value, str):
            value = self._to_path(value)
        par.set(value)

    def names(self):
        return list(self._pars)
