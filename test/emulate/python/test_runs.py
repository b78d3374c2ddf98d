"""td.run() and td.runs as Run_Class, Runs_Class and Run_Command_Examples document them."""
import unittest

from tdemu import World, tdError


class Immediate(unittest.TestCase):
    def test_a_run_without_delay_executes_inside_the_call_and_is_then_finished(self):
        w = World()
        out = []
        r = w.run('args[0].append(absTime.frame)', out)
        self.assertEqual(out, [0])
        self.assertEqual(len(w.runs), 0)
        with self.assertRaises(tdError):
            r.active

    def test_a_callable_is_called_with_the_args(self):
        w = World()
        out = []
        w.run(out.append, 'now')
        w.run(lambda a, b: out.append(a + b), 1, 2, delayFrames=1)
        self.assertEqual(out, ['now'])
        w.step()
        self.assertEqual(out, ['now', 3])

    def test_anything_else_is_refused(self):
        with self.assertRaises(TypeError):
            World().run(42)


class EndFrame(unittest.TestCase):
    def test_end_frame_runs_after_on_frame_end(self):
        w = World()
        w.table('log')
        w.execute('ex', 'def onFrameStart(frame):\n'
                        '    run("op(\'log\').appendRow([\'end\'])", endFrame=True)\n'
                        '    op("log").appendRow(["fs"])\n'
                        'def onFrameEnd(frame):\n    op("log").appendRow(["fe"])\n', frameend=True)
        w.step()
        self.assertEqual([r[0] for r in w.op('log').values()], ['fs', 'fe', 'end'])


class DelayRef(unittest.TestCase):
    def test_default_delay_ref_counts_the_timeline_tdresources_counts_wall_time(self):
        w = World(fps=10, variants={'timeline': 'paused'})
        out = []
        w.run('args[0].append("timeline")', out, delayMilliSeconds=500)
        w.run('args[0].append("wall")', out, delayMilliSeconds=500, delayRef=w.op('/sys/TDResources'))
        w.advance(1)
        self.assertEqual(out, ['wall'])
        w.play()
        w.advance(0.5)
        self.assertEqual(out, ['wall', 'timeline'])

    def test_scripts_reach_tdresources_through_op(self):
        w = World(fps=10, variants={'timeline': 'paused'})
        dat = w.text_dat('s', 'out = []\n'
                              'def later():\n'
                              '    run("args[0].append(me.name)", out, delayFrames=3, delayRef=op.TDResources)\n'
                              '    run("args[0].append(\'never\')", out, delayFrames=3)\n')
        dat.module.later()
        self.assertIs(dat.module.op.TDResources, w.tdresources)
        self.assertEqual(dat.module.op('ws'), None)  # op() still finds operators (none here)
        with self.assertRaises(AttributeError):
            dat.module.op.NoSuchShortcut
        w.advance(1)
        self.assertEqual(dat.module.out, ['s'])  # `me` in the run script is the calling DAT

    def test_from_op_sets_me(self):
        w = World()
        t = w.table('t')
        got = []
        w.run('args[0].append(me)', got, fromOP=t, delayFrames=1)
        w.step()
        self.assertEqual(got, [t])


class RunObjects(unittest.TestCase):
    def test_group_active_remaining_and_kill(self):
        w = World(fps=10)
        out = []
        a = w.run('args[0].append("a")', out, delayFrames=5, group='retry')
        b = w.run('args[0].append("b")', out, delayMilliSeconds=1000)
        c = w.run('args[0].append("c")', out, delayFrames=2)
        self.assertEqual(len(w.runs), 3)
        self.assertIs(w.runs[0], a)
        self.assertEqual([r.group for r in w.runs], ['retry', None, None])
        self.assertEqual(a.remainingFrames, 5)
        self.assertEqual(b.remainingMilliseconds, 1000)
        self.assertEqual(b.remainingFrames, 10)
        b.group = 'other'
        self.assertEqual(b.group, 'other')
        c.active = False  # reaches its frame without executing
        for r in w.runs:
            if r.group == 'retry':
                r.kill()
        self.assertEqual(len(w.runs), 2)
        with self.assertRaises(tdError):
            a.group
        w.step()
        self.assertEqual(b.remainingFrames, 9)
        w.advance(1)
        self.assertEqual(out, ['b'])
        self.assertEqual(len(w.runs), 0)
        with self.assertRaises(tdError):
            c.active

    def test_remaining_can_be_set(self):
        w = World(fps=10)
        out = []
        r = w.run('args[0].append(absTime.frame)', out, delayFrames=100)
        r.remainingFrames = 2
        w.advance(0.5)
        self.assertEqual(out, [2])

    def test_a_run_killing_a_later_one_in_the_same_frame(self):
        w = World(echo_errors=False)
        out = []
        victim = w.run('args[0].append("victim")', out, delayFrames=1)
        w.run('args[0].kill()', victim, delayFrames=1)
        w.run('args[0].append("x")', out, delayFrames=1)
        # the killer is queued after the victim: the victim runs first
        w.step()
        self.assertEqual(out, ['victim', 'x'])
        self.assertEqual(len(w.errors), 1)  # killing a finished run raises tdError
        self.assertIn('tdError', w.errors[0]['error'])


if __name__ == '__main__':
    unittest.main()
