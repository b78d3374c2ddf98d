"""Components: operators that hold operators (https://docs.derivative.ca/COMP_Class).

The project is `/project1` inside the root `/`; `/sys/TDResources` is the built-in component with independent
time (`op.TDResources`, https://docs.derivative.ca/Run_Command_Examples#The_delayRef_Argument).
"""
import fnmatch
import re

from .ops import OP, tdError

_NUMBERED = re.compile(r'^(.*?)(\d+)$')


def next_free_name(wanted, taken):
    """https://docs.derivative.ca/COMP_Class#Methods (create, copy): "If there already is an operator with
    that name, the next numbered name will be used." UNVERIFIED: the exact numbering; here 'ws' -> 'ws1',
    'websocket1' -> 'websocket2'."""
    if wanted not in taken:
        return wanted
    m = _NUMBERED.match(wanted)
    base, n = (m.group(1), int(m.group(2))) if m else (wanted, 0)
    while True:
        n += 1
        name = '%s%d' % (base, n)
        if name not in taken:
            return name


class COMP(OP):
    family = 'COMP'
    OPType = 'baseCOMP'
    type = 'base'
    isDAT = False
    isCOMP = True
    DEFAULT_NAME = 'base1'
    independent_time = False   # run(delayRef=this) counts wall time, paused timeline or not

    def __init__(self, name, world=None, pars=None):
        super().__init__(name, world, pars)
        self._children = {}   # name -> OP, in creation order

    @property
    def path(self):
        if self._parent is None:
            return '/' if self._name == '' else '/' + self._name
        return super().path

    # ---- the network inside ------------------------------------------------------------------------------
    @property
    def children(self):
        return [o for o in self._children.values()]

    @property
    def numChildren(self):
        return len(self._children)

    def _adopt(self, child, name=None):
        name = child._name if name is None else name
        child._name = name
        child._parent = self
        child.world = self.world
        self._children[name] = child
        if self.world is not None:
            self.world.tree_changed()
        return child

    def _remove(self, child):
        if self._children.get(child._name) is child:
            del self._children[child._name]
        if self.world is not None:
            self.world.tree_changed()

    def _rename(self, child, new):
        """UNVERIFIED: renaming onto a sibling's name. The network editor refuses it; here it raises."""
        if new == child._name:
            return
        if not new or not re.fullmatch(r'[A-Za-z0-9_]+', new):
            raise ValueError('invalid operator name %r' % new)
        if new in self._children:
            raise tdError('an operator named %r already exists in %s' % (new, self.path))
        # keep creation order, and the dict itself (op shortcuts hold it): refill it with the new key in place
        items = [((new if o is child else k), o) for k, o in self._children.items()]
        self._children.clear()
        self._children.update(items)
        child._name = new
        if self.world is not None:
            self.world.tree_changed()

    def create(self, opType, name=None, initialize=True):
        """https://docs.derivative.ca/COMP_Class#Methods: opType is a type object (tableDAT) or its name as a
        string ('tableDAT'); a taken name becomes the next numbered one."""
        if self.world is None:
            raise tdError('component is not in a project')
        cls = self.world.optypes.lookup(opType)
        new = cls.created(next_free_name(name or cls.DEFAULT_NAME, self._children), self.world)
        self._adopt(new)
        if initialize:
            new._initialize()
        return new

    def op(self, *paths, includeUtility=False):
        for path in paths:
            found = self.world.resolve(path, self)
            if found is not None:
                return found
        return None

    def ops(self, *patterns, includeUtility=False):
        out = []
        for pattern in patterns:
            if '/' in str(pattern):
                found = self.world.resolve(pattern, self)
                if found is not None and found not in out:
                    out.append(found)
                continue
            for o in self._children.values():
                if fnmatch.fnmatchcase(o.name, str(pattern)) and o not in out:
                    out.append(o)
        return out

    def findChildren(self, type=None, name=None, path=None, depth=None, maxDepth=None, text=None, comment=None,
                     tags=None, allTags=False, parValue=None, parExpr=None, parName=None, onlyNonDefaults=False,
                     includeUtility=False, key=None):
        """https://docs.derivative.ca/COMP_Class#Methods: children at every depth (children are depth 1)
        matching every criterion given; `tags` matches any of them (all with allTags=True)."""
        out = []
        want_tags = set([tags] if isinstance(tags, str) else (tags or ()))

        def visit(comp, level):
            for o in comp._children.values():
                ok = True
                if type is not None:
                    ok = o.OPType == type if isinstance(type, str) else builtins_type(o) is type
                if ok and name is not None:
                    ok = fnmatch.fnmatchcase(o.name, name)
                if ok and path is not None:
                    ok = fnmatch.fnmatchcase(o.path, path)
                if ok and depth is not None:
                    ok = level == depth
                if ok and text is not None:
                    ok = fnmatch.fnmatchcase(getattr(o, 'text', '') or '', text)
                if ok and comment is not None:
                    ok = fnmatch.fnmatchcase(o.comment, comment)
                if ok and want_tags:
                    ok = want_tags <= o.tags if allTags else bool(want_tags & o.tags)
                if ok and key is not None:
                    ok = bool(key(o))
                if ok:
                    out.append(o)
                if isinstance(o, COMP) and (maxDepth is None or level < maxDepth) and (depth is None or level < depth):
                    visit(o, level + 1)

        visit(self, 1)
        return out

    def walk(self):
        """Every operator inside, depth first (emulator only)."""
        for o in list(self._children.values()):
            yield o
            if isinstance(o, COMP):
                yield from o.walk()

    @classmethod
    def created(cls, name, world):
        return cls(name, world)

    def _initialize(self):
        pass


builtins_type = type


class TDResources(COMP):
    """/sys/TDResources: a component with its own time, so run(..., delayRef=op.TDResources) counts down while
    the project timeline is paused (https://docs.derivative.ca/Run_Command_Examples#The_delayRef_Argument)."""

    OPType = 'baseCOMP'
    independent_time = True
