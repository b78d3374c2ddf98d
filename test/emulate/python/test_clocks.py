"""The driven clocks: wall, timeline, absTime, the emulated `time` module, and print() to the textport."""
import contextlib
import io
import time as real_time
import unittest

from tdemu import World
from tdemu.clock import EPOCH_BASE


class TimeModule(unittest.TestCase):
    CODE = '''
import time
from time import monotonic, perf_counter as pc
import time as t2

def now():
    return time.monotonic(), monotonic(), pc(), t2.time(), time.monotonic_ns()

def year():
    return time.strftime('%Y', time.gmtime(0))
'''

    def test_import_time_follows_the_driven_wall_clock(self):
        w = World(fps=10)
        m = w.text_dat('s', self.CODE).module
        self.assertEqual(m.now()[:4], (0.0, 0.0, 0.0, EPOCH_BASE))
        w.advance(2.5)
        mono, mono2, perf, wall_epoch, ns = m.now()
        self.assertAlmostEqual(mono, 2.5)
        self.assertEqual(mono, mono2)
        self.assertEqual(mono, perf)
        self.assertAlmostEqual(wall_epoch, EPOCH_BASE + 2.5)
        self.assertEqual(ns, int(mono * 1e9))
        self.assertEqual(m.year(), '1970')  # everything else is the real module
        self.assertIs(m.time.sleep, real_time.sleep)

    def test_wall_time_goes_on_while_paused(self):
        w = World(fps=10, variants={'abstime_pauses': True})
        m = w.text_dat('s', self.CODE).module
        w.pause()
        w.advance(3)
        self.assertAlmostEqual(m.now()[0], 3.0)
        self.assertEqual(w.absTime.seconds, 0.0)

    def test_run_scripts_and_functions_defined_in_modules_see_it_too(self):
        w = World(fps=10)
        w.advance(1)
        out = []
        w.run('import time\nargs[0].append(time.monotonic())', out, delayFrames=1)
        w.step()
        self.assertAlmostEqual(out[0], 1.1)

    def test_the_real_time_module_is_untouched(self):
        World().text_dat('s', self.CODE).module.now()
        self.assertGreater(real_time.time(), EPOCH_BASE - 1e8)  # still the machine's clock
        import time as again
        self.assertIs(again, real_time)


class Clocks(unittest.TestCase):
    def test_step_advances_wall_timeline_and_abstime(self):
        w = World(fps=10)
        w.step()
        w.step(0.5)
        self.assertAlmostEqual(w.wall, 0.6)
        self.assertEqual(w.wall_clock.frame, 2)
        self.assertAlmostEqual(w.timeline_clock.seconds, 0.6)
        self.assertAlmostEqual(w.absTime.seconds, 0.6)
        self.assertEqual(w.absTime.stepSeconds, 0.5)

    def test_pause_holds_the_timeline_and_play_resumes_it(self):
        w = World(fps=10)
        w.advance(1)
        w.pause()
        w.advance(1)
        self.assertAlmostEqual(w.timeline_clock.seconds, 1.0)
        self.assertAlmostEqual(w.wall, 2.0)
        w.play()
        w.advance(1)
        self.assertAlmostEqual(w.timeline_clock.seconds, 2.0)

    def test_advance_ends_even_when_abstime_is_stopped(self):
        w = World(fps=10, variants={'timeline': 'paused', 'abstime_pauses': True})
        self.assertEqual(w.advance(1), 10)
        self.assertEqual(w.absTime.frame, 0)
        self.assertEqual(w.absTime.step, 0)

    def test_play_state_changes_reach_execute_dats(self):
        w = World()
        ex = w.execute('ex', 'seen = []\ndef onPlayStateChange(state):\n    seen.append(state)\n',
                       playstatechange=True)
        w.pause()
        w.pause()  # no change, no call
        w.play()
        self.assertEqual(ex.module.seen, [True, False])


class Print(unittest.TestCase):
    def test_print_goes_to_the_textport_not_stdout(self):
        w = World()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            w.text_dat('s', 'print("hello", 42, sep="-")\nprint("two\\nlines")\n').module
            w.run('print("from run")', delayFrames=1)
            w.step()
        self.assertEqual(out.getvalue(), '')
        self.assertEqual(w.textport, ['hello-42', 'two', 'lines', 'from run'])

    def test_print_to_a_file_still_writes_there(self):
        w = World()
        buf = io.StringIO()
        m = w.text_dat('s', 'def p(f):\n    print("x", file=f)\n').module
        m.p(buf)
        self.assertEqual(buf.getvalue(), 'x\n')
        self.assertEqual(w.textport, [])

    def test_the_textport_keeps_the_last_2000_lines(self):
        w = World()
        w.text_dat('s', 'for i in range(2500):\n    print(i)\n').module
        self.assertEqual(len(w.textport), 2000)
        self.assertEqual(w.textport[0], '500')
        self.assertEqual(w.textport[-1], '2499')

    def test_debug_and_tracebacks_land_there_too(self):
        w = World(echo_errors=False)
        w.text_dat('s', 'debug("note")\n1/0\n').module
        self.assertEqual(w.textport[0], 'note')
        self.assertTrue(any('ZeroDivisionError' in line for line in w.textport))


if __name__ == '__main__':
    unittest.main()
