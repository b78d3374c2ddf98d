"""Each emulator variant (tdemu/variants.py), one key at a time, against its default."""
import io
import json
import unittest

from tdemu import World
from tdemu import variants as V

EVENTS = '''
events = []
def onConnect(dat):
    events.append('connect')
def onDisconnect(dat):
    events.append('disconnect')
'''


def project(variants=None, code=EVENTS, server_up=True):
    w = World(variants=variants, echo_errors=False)
    w.text_dat('cb', code)
    sock = w.websocket('ws', 'cb')
    w.loopback.up = server_up
    return w, sock


class Resolve(unittest.TestCase):
    def test_defaults_adverse_and_flips_cover_the_same_keys(self):
        self.assertEqual(set(V.DEFAULTS), set(V.ADVERSE))
        self.assertEqual(set(V.DEFAULTS), set(V.FLIPS))
        for key, flip in V.FLIPS.items():
            self.assertNotEqual(flip, V.DEFAULTS[key], key)
            self.assertIn(V.ADVERSE[key], V.VARIANTS[key].choices)
            self.assertTrue(V.VARIANTS[key].doc.strip(), key)
            self.assertIn('https://docs.derivative.ca/', V.VARIANTS[key].doc, key)

    def test_unknown_keys_and_values_are_refused(self):
        with self.assertRaisesRegex(ValueError, 'unknown variant'):
            World(variants={'nope': True})
        with self.assertRaisesRegex(ValueError, 'module must be one of'):
            World(variants={'module': 'weird'})
        with self.assertRaises(ValueError):
            World(variants={'abstime_pauses': 1})  # not a bool
        self.assertEqual(World(variants={'module': 'separate'}).variants['module'], 'separate')
        self.assertEqual(World().variants, V.DEFAULTS)

    def test_main_prints_the_tables_as_json(self):
        out = io.StringIO()
        V.main(out)
        doc = json.loads(out.getvalue())
        self.assertEqual(doc, {'defaults': V.DEFAULTS, 'adverse': V.ADVERSE, 'flips': V.FLIPS})


class FailedConnect(unittest.TestCase):
    def run_failed_attempt(self, variants):
        w, sock = project(variants, server_up=False)
        sock.par.active = True
        w.step()
        self.assertFalse(sock.connected)
        self.assertFalse(sock.attempting)
        self.assertTrue(sock.par.active.eval())  # the DAT stays on and does not retry by itself
        w.advance(5)
        self.assertEqual(len(sock.link.attempts), 1)
        return w.op('cb').module.events

    def test_default_a_failed_attempt_calls_nothing(self):
        self.assertEqual(self.run_failed_attempt(None), [])

    def test_variant_a_failed_attempt_calls_on_disconnect(self):
        self.assertEqual(self.run_failed_attempt({'failed_connect_disconnect': True}), ['disconnect'])


class Deactivate(unittest.TestCase):
    def run_toggle(self, variants):
        w, sock = project(variants)
        sock.par.active = True
        w.step()
        self.assertTrue(sock.connected)
        sock.par.active = False
        self.assertFalse(sock.connected)
        w.step()
        return w.op('cb').module.events

    def test_default_switching_off_calls_on_disconnect(self):
        self.assertEqual(self.run_toggle(None), ['connect', 'disconnect'])

    def test_variant_switching_off_ends_silently(self):
        self.assertEqual(self.run_toggle({'deactivate_disconnect': False}), ['connect'])

    def test_switching_off_during_an_attempt_abandons_it_without_a_callback(self):
        for variants in ({'failed_connect_disconnect': True}, None):
            w, sock = project(variants)
            sock.par.active = True
            sock.par.active = False  # before the attempt settles
            w.step()
            self.assertFalse(sock.connected)
            self.assertEqual(w.op('cb').module.events, [])
            sock.par.active = True
            w.step()
            self.assertEqual(w.op('cb').module.events, ['connect'])
            self.assertEqual(sock.connects, 1)


class Module(unittest.TestCase):
    CODE = 'n = 0\ndef onConnect(dat):\n    global n\n    n += 1\n'

    def test_shared_the_callbacks_run_in_op_module(self):
        w, sock = project(None, self.CODE)
        sock.par.active = True
        w.step()
        self.assertIs(w.op('cb').module, w.op('cb').callback_module())
        self.assertEqual(w.op('cb').module.n, 1)

    def test_separate_two_instances_with_their_own_globals(self):
        w, sock = project({'module': 'separate'}, self.CODE)
        sock.par.active = True
        w.step()
        dat = w.op('cb')
        self.assertIsNot(dat.module, dat.callback_module())
        self.assertEqual(dat.callback_module().n, 1)
        self.assertEqual(dat.module.n, 0)  # what op('cb').module shows: untouched by the callback
        self.assertIs(dat.module, w.op('cb').module)  # each instance is itself stable

    def test_separate_applies_to_execute_dats_too(self):
        w = World(variants={'module': 'separate'}, echo_errors=False)
        ex = w.execute('ex', 'starts = 0\ndef onStart():\n    global starts\n    starts += 1\n')
        w.start()
        self.assertEqual(ex.callback_module().starts, 1)
        self.assertEqual(ex.module.starts, 0)


class Recompile(unittest.TestCase):
    def test_fresh_old_globals_are_gone(self):
        w = World()
        dat = w.text_dat('m', 'a = 1\nb = 2\n')
        dat.module.b = 20
        dat.text = 'a = 10\n'
        self.assertEqual(dat.module.a, 10)
        self.assertFalse(hasattr(dat.module, 'b'))

    def test_in_place_old_globals_survive_unless_overwritten(self):
        w = World(variants={'recompile': 'in_place'})
        dat = w.text_dat('m', 'a = 1\nb = 2\n')
        before = dat.module
        before.b = 20
        dat.text = 'a = 10\n'
        self.assertIs(dat.module, before)
        self.assertEqual(dat.module.a, 10)
        self.assertEqual(dat.module.b, 20)

    def test_reload_counts_as_a_text_change(self):
        w = World(variants={'recompile': 'in_place'})
        dat = w.text_dat('m', 'n = 0\ndef bump():\n    global n\n    n += 1\n')
        dat.module.bump()
        dat.reload()
        self.assertEqual(dat.module.n, 0)  # the top level ran again and overwrote n


class Timeline(unittest.TestCase):
    def test_playing_by_default_paused_with_the_variant(self):
        self.assertTrue(World().playing)
        w = World(variants={'timeline': 'paused'})
        self.assertFalse(w.playing)
        out = []
        w.run('args[0].append(1)', out, delayFrames=2)
        w.advance(1)
        self.assertEqual(out, [])  # default delayRef: no time passes for the delay while paused
        w.play()
        w.step()
        w.step()
        self.assertEqual(out, [1])


class AbsTimePauses(unittest.TestCase):
    def absolute_after_pause(self, variants):
        w = World(fps=10, variants=variants)
        w.advance(1)
        w.pause()
        w.advance(2)
        return w.absTime.seconds, w.absTime.frame, w.wall

    def test_default_abstime_follows_wall_time(self):
        seconds, frame, wall = self.absolute_after_pause(None)
        self.assertAlmostEqual(seconds, 3.0)
        self.assertEqual(frame, 30)
        self.assertAlmostEqual(wall, 3.0)

    def test_variant_abstime_stops_while_paused(self):
        seconds, frame, wall = self.absolute_after_pause({'abstime_pauses': True})
        self.assertAlmostEqual(seconds, 1.0)
        self.assertEqual(frame, 10)
        self.assertAlmostEqual(wall, 3.0)


class FrameStartWhenPaused(unittest.TestCase):
    def frames_while_paused(self, variants):
        w = World(variants=dict(variants or {}, timeline='paused'))
        w.table('log')
        w.execute('ex', 'def onFrameStart(frame):\n    op("log").appendRow(["fs"])\n'
                        'def onFrameEnd(frame):\n    op("log").appendRow(["fe"])\n', frameend=True)
        w.step()
        return [r[0] for r in w.op('log').values()]

    def test_default_frame_callbacks_fire_while_paused(self):
        self.assertEqual(self.frames_while_paused(None), ['fs', 'fe'])

    def test_variant_no_frame_callbacks_while_paused(self):
        self.assertEqual(self.frames_while_paused({'frame_start_when_paused': False}), [])


class ReplaceRowPartial(unittest.TestCase):
    def test_default_accepts_entire_row_false(self):
        w = World()
        t = w.table('t', [['a', 'b', 'c']])
        t.replaceRow(0, ['x'], entireRow=False)
        self.assertEqual(t.values(), [['x', 'b', 'c']])

    def test_variant_refuses_the_keyword_but_not_the_plain_call(self):
        w = World(variants={'replace_row_partial': False})
        t = w.table('t', [['a', 'b', 'c']])
        with self.assertRaisesRegex(TypeError, 'entireRow'):
            t.replaceRow(0, ['x'], entireRow=False)
        with self.assertRaises(TypeError):
            t.replaceRow(0, ['x'], entireRow=True)  # the keyword itself is unknown to such a build
        t.replaceRow(0, ['x', 'y', 'z'])
        self.assertEqual(t.values(), [['x', 'y', 'z']])


if __name__ == '__main__':
    unittest.main()
