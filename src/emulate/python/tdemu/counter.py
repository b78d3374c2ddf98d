"""Counts table operations so tests can assert that per-message cost does not grow with the table."""


class OpCounter:
    def __init__(self):
        self.counts = {}

    def add(self, name, n=1):
        self.counts[name] = self.counts.get(name, 0) + n

    def reset(self):
        self.counts = {}

    def snapshot(self):
        return dict(self.counts)

    def total(self):
        return sum(self.counts.values())
