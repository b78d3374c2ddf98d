"""The tutorial's algorithm, for side-by-side comparisons (README, "Benchmarks"): every message scans the table's rows for
the sender's id. Not generated code and not for TouchDesigner; a baseline for benchmarks and cost tests.
The scripts live once, as Python files in ../baselines/, which the benchmarks load too."""
import os

_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'baselines')


def _read(name):
    with open(os.path.join(_HERE, name), encoding='utf-8') as f:
        return f.read()


TUTORIAL_CALLBACKS = _read('tutorial_callbacks.py')
TUTORIAL_EXECUTE = _read('tutorial_execute.py')
