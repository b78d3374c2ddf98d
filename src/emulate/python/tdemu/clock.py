"""Driven clocks. Tests step frames with a dt; nothing here reads the machine's clock.

- wall: seconds and frames since the emulated process started, advancing every step, paused or not
  (what time.monotonic() and op.TDResources' time follow);
- timeline: advances only while the timeline plays (what run() delays count by default);
- absTime: follows the wall clock, or stops while paused with the `abstime_pauses` variant
  (https://docs.derivative.ca/AbsTime_Class: 2025 says it pauses with the root timeline, 2023 says it does not).
"""
import functools
import time as _real_time
import types

# time.time() = EPOCH_BASE + wall seconds: a fixed date, so runs are reproducible (2025-01-01T00:00:00Z).
EPOCH_BASE = 1735689600.0


class AbsTime:
    """td.absTime (https://docs.derivative.ca/AbsTime_Class): counts from 0 at process start."""

    def __init__(self):
        self.frame = 0
        self.seconds = 0.0
        self.step = 0
        self.stepSeconds = 0.0

    def advance(self, dt):
        self.frame += 1
        self.seconds += dt
        self.step = 1
        self.stepSeconds = dt

    def hold(self):
        self.step = 0
        self.stepSeconds = 0.0


class Clock:
    """A frame and seconds counter (the wall clock, the timeline)."""

    __slots__ = ('frame', 'seconds')

    def __init__(self):
        self.frame = 0
        self.seconds = 0.0

    def advance(self, dt):
        self.frame += 1
        self.seconds += dt


class EmulatedTime(types.ModuleType):
    """What `import time` gives a script: monotonic()/perf_counter() follow the driven wall clock and time() is
    EPOCH_BASE + wall; every other attribute (strftime, localtime, sleep, ...) is the real module's."""

    def __init__(self, wall):
        super().__init__('time')
        self._wall = wall
        # C-level callables, as cheap as TouchDesigner's own time.monotonic: the per-message benchmarks time the
        # scripts, and a Python-level clock would charge them the emulator's overhead
        self.monotonic = functools.partial(getattr, wall, 'seconds')
        self.perf_counter = self.monotonic

    def __getattr__(self, name):
        return getattr(_real_time, name)

    def time(self):
        return EPOCH_BASE + self._wall.seconds

    def monotonic_ns(self):
        return int(self._wall.seconds * 1e9)

    def perf_counter_ns(self):
        return int(self._wall.seconds * 1e9)

    def time_ns(self):
        return int((EPOCH_BASE + self._wall.seconds) * 1e9)
