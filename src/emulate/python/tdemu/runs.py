"""td.run() and td.runs (https://docs.derivative.ca/Run_Class, https://docs.derivative.ca/Runs_Class,
https://docs.derivative.ca/Run_Command_Examples).

- A run with no delay and no endFrame executes at once, inside the run() call (Run_Command_Examples: the
  endFrame example's plain statement runs first only because endFrame defers the run; and a run without a
  delay is already finished when the next line tests it).
- endFrame=True: at the end of the current frame (a run started between frames: the end of the next one).
- Delays count on the timeline of `delayRef`, default `me`: "If you don't use this argument, TD doesn't
  consider time to be passing for the delay unless the timeline is playing!". `op.TDResources` has
  independent time, so its delays count wall time while paused. UNVERIFIED: wallTime=True (2025 DAT.run) is
  accepted and, like the other delays here, counts seconds on the delayRef's clock.
- A Run that has executed or been killed raises tdError on access (Run_Command_Examples, "Testing Run Object
  Status"); kill() removes it from `runs`.
- run() takes a string (exec'd with `args` bound) or, as the 2025 docs' `scriptOrCallable`, a callable
  (called with *args).
"""
from .ops import tdError

TOLERANCE = 1e-9


class Run:
    __slots__ = ('_world', '_source', '_args', '_me', '_clock', '_start_frame', '_start_seconds',
                 '_delay_frames', '_delay_seconds', '_end_frame', '_group', '_active', '_state')

    def __init__(self, world, source, args, me, clock, delay_frames, delay_seconds, end_frame, group):
        self._world = world
        self._source = source
        self._args = args
        self._me = me
        self._clock = clock
        self._start_frame = clock.frame
        self._start_seconds = clock.seconds
        self._delay_frames = int(delay_frames)
        self._delay_seconds = float(delay_seconds)
        self._end_frame = bool(end_frame)
        self._group = group
        self._active = True
        self._state = 'pending'   # 'done' | 'killed'

    def _alive(self):
        if self._state != 'pending':
            raise tdError('this Run has %s' % ('executed' if self._state == 'done' else 'been killed'))

    # ---- members (https://docs.derivative.ca/Run_Class) -------------------------------------------------------
    @property
    def active(self):
        self._alive()
        return self._active

    @active.setter
    def active(self, value):
        self._alive()
        self._active = bool(value)

    @property
    def group(self):
        self._alive()
        return self._group

    @group.setter
    def group(self, value):
        self._alive()
        self._group = None if value is None else str(value)

    @property
    def remainingFrames(self):
        """Frames left; a millisecond delay counts as frames at the project's cook rate ("rounded to the
        nearest frame": https://docs.derivative.ca/DAT_Class#Methods run())."""
        self._alive()
        return self._frames_left()

    def _frames_left(self):
        frames = self._start_frame + self._delay_frames - self._clock.frame
        seconds = self._start_seconds + self._delay_seconds - self._clock.seconds
        return max(0, frames, int(round(seconds * self._world.fps)))

    @remainingFrames.setter
    def remainingFrames(self, value):
        self._alive()
        self._delay_frames = self._clock.frame - self._start_frame + int(value)

    @property
    def remainingMilliseconds(self):
        self._alive()
        return max(0, int(round((self._start_seconds + self._delay_seconds - self._clock.seconds) * 1000)))

    @remainingMilliseconds.setter
    def remainingMilliseconds(self, value):
        self._alive()
        self._delay_seconds = self._clock.seconds - self._start_seconds + float(value) / 1000.0

    @property
    def source(self):
        self._alive()
        return self._source

    @property
    def isString(self):
        self._alive()
        return isinstance(self._source, str)

    @property
    def isDAT(self):
        self._alive()
        return False

    @property
    def isCell(self):
        self._alive()
        return False

    @property
    def path(self):
        self._alive()
        return self._me

    def kill(self):
        self._alive()
        self._state = 'killed'
        self._world.runs._remove(self)

    # ---- scheduling ----------------------------------------------------------------------------------------
    def _due(self):
        c = self._clock
        return (c.frame >= self._start_frame + self._delay_frames
                and c.seconds + TOLERANCE >= self._start_seconds + self._delay_seconds)

    def __repr__(self):
        return 'type:Run state:%s group:%r' % (self._state, self._group)


class Runs:
    """td.runs: the Run objects still waiting (iterable, len(), indexable)."""

    def __init__(self, world):
        self._world = world
        self._pending = []

    def __iter__(self):
        return iter(list(self._pending))

    def __len__(self):
        return len(self._pending)

    def __getitem__(self, i):
        return self._pending[i]

    def _remove(self, run):
        if run in self._pending:
            self._pending.remove(run)

    def add(self, run):
        self._pending.append(run)

    def clear(self):
        for r in self._pending:
            r._state = 'killed'
        self._pending = []

    def run_due(self, end_frame):
        """Runs every due Run of this phase (start of frame, or end of frame), in the order they were made.
        Runs made while these execute wait for a later phase."""
        due = [r for r in self._pending if r._end_frame == end_frame and r._due()]
        for r in due:
            if r._state != 'pending':
                continue  # killed by an earlier one
            self._remove(r)
            r._state = 'done'
            if r._active:
                self._world.execute_run(r._source, r._args, r._me)

    def describe(self):
        return [{'source': r._source if isinstance(r._source, str) else repr(r._source), 'group': r._group,
                 'active': r._active, 'remainingFrames': r._frames_left(),
                 'endFrame': r._end_frame, 'clock': 'wall' if r._clock is self._world.wall_clock else 'timeline'}
                for r in self._pending]
