"""Table DAT: a list of rows of str, addressed by index or exact label, with every operation counted.

Cost model (what the counter records): `lookup` per [r, c] access, `label_scan` per row or column examined
by a label lookup or pattern search, `cell_read`/`cell_write` per value, `row_append`/`row_delete`/
`row_insert`, and `rows_shifted` for rows that move when one is inserted or deleted before them.
"""
import fnmatch

from .cell import Cell
from .counter import OpCounter
from .ops import OP

_UNSET = object()


def _text(value):
    # str() of a Cell is its value, so one branch covers cells, numbers and everything else
    return value if type(value) is str else str(value)


class TableDAT(OP):
    OPType = 'tableDAT'
    type = 'table'
    isTable = True
    isText = False
    isEditable = True
    DEFAULT_NAME = 'table1'

    def __init__(self, name='table1', rows=None, counter=None, world=None):
        super().__init__(name, world)
        if counter is None and world is not None:
            counter = world.counter
        self.counter = counter if counter is not None else OpCounter()
        # the variant, looked up once (replaceRow runs on every message the benchmarks time); None until the
        # table belongs to a world
        self._refuse_partial = None
        self.log = []  # notes about UNVERIFIED behaviours the emulator had to pick (padding, widening)
        self._data = [[_text(v) for v in r] for r in (rows or [])]
        self._width = max((len(r) for r in self._data), default=0)
        for r in self._data:
            r.extend([''] * (self._width - len(r)))

    # ---- size ------------------------------------------------------------------------------------
    @property
    def numRows(self):
        return len(self._data)

    @property
    def numCols(self):
        return self._width if self._data else 0

    def _in_range(self, r, c):
        return 0 <= r < len(self._data) and 0 <= c < self._width

    # ---- addressing ------------------------------------------------------------------------------
    def _row_index(self, key):
        if isinstance(key, Cell):
            key = key.val
        if isinstance(key, bool):
            raise TypeError('row index must be int or str, not bool')
        if isinstance(key, int):
            return key if 0 <= key < len(self._data) else None
        if isinstance(key, str):
            for i, row in enumerate(self._data):
                self.counter.add('label_scan')
                if row and row[0] == key:
                    return i
            return None
        raise TypeError('row index must be int or str, not %s' % type(key).__name__)

    def _col_index(self, key):
        if isinstance(key, Cell):
            key = key.val
        if isinstance(key, bool):
            raise TypeError('column index must be int or str, not bool')
        if isinstance(key, int):
            return key if 0 <= key < self._width and self._data else None
        if isinstance(key, str):
            if not self._data:
                return None
            for j, v in enumerate(self._data[0]):
                self.counter.add('label_scan')
                if v == key:
                    return j
            return None
        raise TypeError('column index must be int or str, not %s' % type(key).__name__)

    def _read(self, r, c):
        self.counter.add('cell_read')
        if not self._in_range(r, c):
            raise IndexError('cell (%d, %d) is no longer in %s' % (r, c, self.name))
        return self._data[r][c]

    def _write(self, r, c, value):
        self.counter.add('cell_write')
        if not self._in_range(r, c):
            raise IndexError('cell (%d, %d) is not in %s' % (r, c, self.name))
        self._data[r][c] = _text(value)

    def __getitem__(self, rc):
        r, c = rc
        counts = self.counter.counts
        counts['lookup'] += 1
        if type(r) is int and type(c) is int:  # the fast path: plain indices, no scan
            if 0 <= r < len(self._data) and 0 <= c < self._width:
                return Cell(self, r, c)
            return None
        ri = self._row_index(r)
        ci = self._col_index(c)
        if ri is None or ci is None:
            return None
        return Cell(self, ri, ci)

    def __setitem__(self, rc, value):
        r, c = rc
        counts = self.counter.counts
        counts['lookup'] += 1
        if type(r) is int and type(c) is int and 0 <= r < len(self._data) and 0 <= c < self._width:
            counts['cell_write'] += 1
            self._data[r][c] = value if type(value) is str else _text(value)
            return
        ri = self._row_index(r)
        ci = self._col_index(c)
        if ri is None or ci is None:
            raise IndexError('%s has no cell [%r, %r]' % (self.name, r, c))
        self._write(ri, ci, value)

    def cell(self, r, c, caseSensitive=True, val=False):
        ri = self._match_rows([r], caseSensitive)
        ci = self._match_cols([c], caseSensitive)
        if not ri or not ci:
            return None
        cell = Cell(self, ri[0], ci[0])
        return cell.val if val else cell

    def cells(self, r, c, caseSensitive=True, val=False):
        out = []
        for ri in self._match_rows([r], caseSensitive):
            for ci in self._match_cols([c], caseSensitive):
                cell = Cell(self, ri, ci)
                out.append(cell.val if val else cell)
        return out

    # ---- pattern matching (approximated with fnmatch) ---------------------------------------------
    def _match(self, labels, keys, case):
        out = []
        for key in keys:
            if isinstance(key, int) and not isinstance(key, bool):
                if 0 <= key < len(labels):
                    out.append(key)
                continue
            pat = str(key) if case else str(key).lower()
            for i, label in enumerate(labels):
                self.counter.add('label_scan')
                if fnmatch.fnmatchcase(label if case else label.lower(), pat):
                    out.append(i)
        seen = set()
        return [i for i in out if not (i in seen or seen.add(i))]

    def _match_rows(self, keys, case=True):
        return self._match([r[0] if r else '' for r in self._data], keys, case)

    def _match_cols(self, keys, case=True):
        return self._match(self._data[0] if self._data else [], keys, case)

    def _row_list(self, i, val):
        return [self._read(i, j) if val else Cell(self, i, j) for j in range(self._width)]

    def _col_list(self, j, val):
        return [self._read(i, j) if val else Cell(self, i, j) for i in range(len(self._data))]

    def row(self, *nameOrIndexes, caseSensitive=True, val=False):
        found = self._match_rows(nameOrIndexes, caseSensitive)
        return self._row_list(found[0], val) if found else None

    def col(self, *nameOrIndexes, caseSensitive=True, val=False):
        found = self._match_cols(nameOrIndexes, caseSensitive)
        return self._col_list(found[0], val) if found else None

    def rows(self, *nameOrIndexes, caseSensitive=True, val=False):
        idx = self._match_rows(nameOrIndexes, caseSensitive) if nameOrIndexes else range(len(self._data))
        return [self._row_list(i, val) for i in idx]

    def cols(self, *nameOrIndexes, caseSensitive=True, val=False):
        idx = self._match_cols(nameOrIndexes, caseSensitive) if nameOrIndexes else range(self._width)
        return [self._col_list(j, val) for j in idx]

    def findCell(self, pattern, rows=None, cols=None, valuePattern=True, rowPattern=True, colPattern=True,
                 caseSensitive=False, val=False):
        found = self.findCells(pattern, rows, cols, valuePattern, rowPattern, colPattern, caseSensitive, val)
        return found[0] if found else None

    def findCells(self, pattern, rows=None, cols=None, valuePattern=True, rowPattern=True, colPattern=True,
                  caseSensitive=False, val=False):
        ris = range(len(self._data)) if rows is None else self._match_rows(rows, caseSensitive or not rowPattern)
        cis = range(self._width) if cols is None else self._match_cols(cols, caseSensitive or not colPattern)
        pat = str(pattern) if caseSensitive else str(pattern).lower()
        out = []
        for i in ris:
            self.counter.add('label_scan')
            for j in cis:
                v = self._read(i, j)
                v2 = v if caseSensitive else v.lower()
                hit = fnmatch.fnmatchcase(v2, pat) if valuePattern else v2 == pat
                if hit:
                    out.append(v if val else Cell(self, i, j))
        return out

    # ---- editing -----------------------------------------------------------------------------------
    def _fit(self, vals):
        row = [_text(v) for v in (vals or [])]
        if len(row) > self._width:
            if self._data:
                self.log.append('appendRow widened %s from %d to %d columns' % (self.name, self._width, len(row)))
            for r in self._data:
                r.extend([''] * (len(row) - self._width))
            self._width = len(row)
        elif len(row) < self._width:
            self.log.append('padded a %d-value row to %d columns in %s' % (len(row), self._width, self.name))
            row.extend([''] * (self._width - len(row)))
        self.counter.add('cell_write', len(row))
        return row

    def _resolve_existing(self, nameOrIndex):
        i = self._row_index(nameOrIndex)
        if i is None:
            raise IndexError('%s has no row %r' % (self.name, nameOrIndex))
        return i

    def _insert_at(self, i, vals):
        row = self._fit(vals)
        self.counter.add('rows_shifted', len(self._data) - i)
        self._data.insert(i, row)
        return i

    def _sort(self, sort):
        if sort is None or len(self._data) < 2:
            return
        ci = self._col_index(sort)
        if ci is None:
            return
        self._data[1:] = sorted(self._data[1:], key=lambda r: r[ci])
        self.counter.add('rows_shifted', len(self._data) - 1)

    def appendRow(self, vals=None, nameOrIndex=None, sort=None):
        self.counter.add('row_append')
        if nameOrIndex is None:
            i = len(self._data)
            self._data.append(self._fit(vals))
        else:
            i = self._insert_at(self._resolve_existing(nameOrIndex) + 1, vals)
        self._sort(sort)
        return i

    def appendRows(self, listOfLists, nameOrIndex=None, sort=None):
        last = -1
        for vals in listOfLists:
            vals = vals if isinstance(vals, (list, tuple)) else [vals]
            last = self.appendRow(vals, nameOrIndex)
            if nameOrIndex is not None:
                nameOrIndex = last
        self._sort(sort)
        return last

    def insertRow(self, vals, nameOrIndex=None, sort=None):
        self.counter.add('row_insert')
        i = 0 if nameOrIndex is None else self._resolve_existing(nameOrIndex)
        i = self._insert_at(i, vals)
        self._sort(sort)
        return i

    def _partial_refused(self):
        if self.world is None:
            return False
        self._refuse_partial = not self.world.variants['replace_row_partial']
        return self._refuse_partial

    def replaceRow(self, nameOrIndex, vals=None, entireRow=_UNSET):
        """https://docs.derivative.ca/TableDAT_Class#Methods. With the `replace_row_partial` variant off, the
        entireRow keyword is refused as a build without it would."""
        if entireRow is _UNSET:
            entireRow = True
        elif self._refuse_partial or (self._refuse_partial is None and self._partial_refused()):
            raise TypeError("replaceRow() got an unexpected keyword argument 'entireRow'")
        if vals is None:
            vals = [''] * self._width  # "will empty all the cells in row"
        counts = self.counter.counts  # the same inlined bookkeeping as the [r, c] fast paths
        counts['row_replace'] += 1
        data = self._data
        if type(nameOrIndex) is int and 0 <= nameOrIndex < len(data):
            i = nameOrIndex
        else:
            i = self._resolve_existing(nameOrIndex)
        new = [v if type(v) is str else str(v) for v in vals]
        if entireRow:
            data[i] = self._fit(new)
        else:
            n = len(new)
            if n > self._width:
                n = self._width
                new = new[:n]
            counts['cell_write'] += n
            data[i][:n] = new
        return i

    def deleteRow(self, nameOrIndex):
        self.counter.add('row_delete')
        i = self._resolve_existing(nameOrIndex)
        self.counter.add('rows_shifted', len(self._data) - i - 1)
        del self._data[i]

    def deleteRows(self, vals=None):
        idx = sorted({self._resolve_existing(v) for v in (vals or [])}, reverse=True)
        for i in idx:
            self.deleteRow(i)

    def clear(self, keepSize=False, keepFirstRow=False, keepFirstCol=False):
        self.counter.add('clear')
        if keepSize:
            for i, r in enumerate(self._data):
                for j in range(len(r)):
                    if (keepFirstRow and i == 0) or (keepFirstCol and j == 0):
                        continue
                    r[j] = ''
            return
        if not self._data:
            return
        if keepFirstRow and keepFirstCol:
            self._data = [self._data[0]] + [[r[0]] + [''] * (self._width - 1) for r in self._data[1:]]
        elif keepFirstRow:
            del self._data[1:]
        elif keepFirstCol:
            self._data = [[r[0]] for r in self._data]
            self._width = 1
        else:
            self._data = []
            self._width = 0

    def setSize(self, numrows, numcols):
        self.counter.add('set_size')
        numrows = max(0, int(numrows))
        numcols = max(0, int(numcols))
        del self._data[numrows:]
        while len(self._data) < numrows:
            self._data.append([''] * self._width)
        for r in self._data:
            del r[numcols:]
            r.extend([''] * (numcols - len(r)))
        self._width = numcols

    # ---- whole-table views -----------------------------------------------------------------------------
    @property
    def text(self):
        return ''.join('\t'.join(v.replace('\n', ' ') for v in r) + '\n' for r in self._data)

    @text.setter
    def text(self, value):
        """https://docs.derivative.ca/DAT_Class: tab-delimited columns, newline-delimited rows."""
        lines = str(value).split('\n')
        if lines and lines[-1] == '':
            lines.pop()
        self.counter.add('clear')
        self._data = [line.split('\t') for line in lines]
        self._width = max((len(r) for r in self._data), default=0)
        for r in self._data:
            r.extend([''] * (self._width - len(r)))

    @property
    def csv(self):
        import csv as _csv
        import io
        buf = io.StringIO()
        _csv.writer(buf, lineterminator='\n').writerows(self._data)
        return buf.getvalue()

    def values(self):
        """Emulator-only: the table as a list of lists of str, without counting."""
        return [list(r) for r in self._data]

