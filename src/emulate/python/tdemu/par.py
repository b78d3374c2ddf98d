"""Parameters: `dat.par.active` is a Par object (use .eval()); assigning `dat.par.active = v` sets it."""


class Par:
    __slots__ = ('name', '_value', '_on_change')

    def __init__(self, name, value, on_change=None):
        self.name = name
        self._value = value
        self._on_change = on_change

    def eval(self):
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
    def __init__(self, values, on_change=None):
        object.__setattr__(self, '_pars', {k: Par(k, v, on_change) for k, v in values.items()})

    def __getattr__(self, name):
        try:
            return self._pars[name]
        except KeyError:
            raise AttributeError('no parameter %r' % name) from None

    def __setattr__(self, name, value):
        if name not in self._pars:
            raise AttributeError('no parameter %r' % name)
        self._pars[name].set(value.eval() if isinstance(value, Par) else value)
