"""Cell: a view of one table position. Values are always str; reads and writes go through the owner."""


class Cell:
    __slots__ = ('owner', 'row', 'col')

    def __init__(self, owner, row, col):
        self.owner = owner
        self.row = row
        self.col = col

    @property
    def valid(self):
        return self.owner._in_range(self.row, self.col)

    @property
    def val(self):
        owner = self.owner
        owner.counter.counts['cell_read'] += 1
        try:
            return owner._data[self.row][self.col]
        except IndexError:
            return owner._read(self.row, self.col)  # raises with a clear message

    @val.setter
    def val(self, value):
        self.owner._write(self.row, self.col, value)

    def offset(self, r, c):
        return self.owner[self.row + r, self.col + c]

    def __str__(self):
        return self.val

    def __int__(self):
        return int(float(self.val))

    def __float__(self):
        return float(self.val)

    def __bool__(self):
        return True  # UNVERIFIED in TD whether an empty cell is falsy; the notes say keep cells truthy

    def __eq__(self, other):
        if other is None:
            return False
        if isinstance(other, Cell):
            return self.val == other.val
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            try:
                return float(self.val) == other
            except ValueError:
                return False
        return self.val == other

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return 'type:Cell cell:(%d, %d) val:%r' % (self.row, self.col, self.val)
