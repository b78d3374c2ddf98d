"""Counts table operations so tests can assert that per-message cost does not grow with the table."""
from collections import defaultdict


class OpCounter:
    def __init__(self):
        self.counts = defaultdict(int)

    def add(self, name, n=1):
        self.counts[name] += n

    def reset(self):
        self.counts = defaultdict(int)

    def snapshot(self):
        return {k: v for k, v in self.counts.items() if v}

    def total(self):
        return sum(self.counts.values())
