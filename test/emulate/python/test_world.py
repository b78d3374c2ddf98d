"""Unit tests of the emulator's runtime: modules, callbacks, run(), errors, WebSocket DAT, frame order."""
import unittest

from tdemu import World


def world_with(code, **ws):
    w = World()
    w.table('tbl', [['h']])
    w.text_dat('cb', code)
    sock = w.websocket('ws', 'cb', **ws)
    return w, sock


class Modules(unittest.TestCase):
    def test_globals_persist_between_calls_and_reload_resets_them(self):
        w, sock = world_with('n = 0\ndef onReceiveText(dat, row, msg):\n    global n\n    n += 1\n')
        sock.par.active = True
        sock.connect()
        for _ in range(3):
            sock.inject_text('x')
        self.assertEqual(w.op('cb').module.n, 3)
        w.op('cb').text = w.op('cb').text  # editing the DAT recompiles it
        self.assertEqual(w.op('cb').module.n, 0)

    def test_td_globals_and_me(self):
        w, sock = world_with('def onConnect(dat):\n    me.store("who", me.name)\n    op("tbl").appendRow([absTime.frame])\n')
        sock.par.active = True
        w.step()
        self.assertEqual(w.op('cb').fetch('who'), 'cb')
        self.assertEqual(w.op('tbl').values()[-1], ['1'])
        self.assertIsNone(w.op('missing'))
        self.assertIs(w.op('/project1/tbl'), w.op('tbl'))

    def test_exceptions_are_recorded_and_later_calls_still_run(self):
        w, sock = world_with('seen = []\ndef onReceiveText(dat, row, msg):\n    seen.append(msg)\n    if msg == "boom":\n        raise ValueError("bad")\n')
        sock.par.active = True
        sock.connect()
        sock.inject_text('boom')
        sock.inject_text('fine')
        self.assertEqual(len(w.errors), 1)
        self.assertEqual(w.errors[0]['callback'], 'onReceiveText')
        self.assertIn('ValueError: bad', w.errors[0]['error'])
        self.assertEqual(w.op('cb').module.seen, ['boom', 'fine'])
        self.assertEqual(len(w.op('cb').scriptErrors), 1)

    def test_syntax_errors_are_recorded_and_missing_callbacks_skipped(self):
        w, sock = world_with('def onConnect(dat:\n')
        sock.par.active = True
        w.step()
        self.assertEqual(w.errors[0]['callback'], '<module>')
        self.assertTrue(sock.connected)


class Run(unittest.TestCase):
    def test_delay_frames_and_milliseconds_with_args(self):
        w = World(fps=10)
        out = []
        w.run('args[0].append(("f", absTime.frame))', out, delayFrames=3)
        w.run('args[0].append(("ms", round(absTime.seconds, 3)))', out, delayMilliSeconds=500)
        killed = w.run('args[0].append("never")', out, delayFrames=1)
        killed.kill()
        w.advance(1.0)
        self.assertEqual(out, [('f', 3), ('ms', 0.5)])

    def test_errors_in_run_scripts_are_recorded(self):
        w = World()
        w.run('1/0')
        w.step()
        self.assertEqual(w.errors[0]['callback'], '<run>')


class WebSocket(unittest.TestCase):
    def test_send_returns_bytes_or_minus_one(self):
        w, sock = world_with('')
        self.assertEqual(sock.sendText('hi'), -1)
        sock.par.active = True
        w.step()
        self.assertEqual(sock.sendText('h', 'é'), 3)
        self.assertEqual(sock.sendPong(b'ab'), 2)
        self.assertEqual([o['kind'] for o in sock.outbox], ['text', 'pong'])

    def test_fifo_is_capped_at_maxlines_and_inactive_dats_drop_data(self):
        w, sock = world_with('rows = []\ndef onReceiveText(dat, row, msg):\n    rows.append(row)\n', maxlines=3)
        self.assertIsNone(sock.inject_text('lost'))
        sock.par.active = True
        w.step()
        for i in range(5):
            sock.inject_text(str(i))
        self.assertEqual(sock.numRows, 4)
        self.assertEqual(sock[3, 0].val, '4')
        self.assertEqual(w.op('cb').module.rows, [1, 2, 3, 3, 3])

    def test_switching_active_off_disconnects(self):
        w, sock = world_with('events = []\ndef onConnect(dat):\n    events.append("up")\ndef onDisconnect(dat):\n    events.append("down")\n')
        sock.par.active = True
        w.step()
        sock.par.active = False
        w.step()
        self.assertEqual(w.op('cb').module.events, ['up', 'down'])
        self.assertEqual(len(sock.link.attempts), 1)
        sock.link.up = False
        sock.par.active = True
        w.step()
        self.assertFalse(sock.connected)
        self.assertEqual(len(sock.link.attempts), 2)


class FrameOrder(unittest.TestCase):
    def check_order(self, order, expected):
        w = World(order=order)
        w.text_dat('cb', 'def onReceiveText(dat, row, msg):\n    op("log").appendRow(["msg"])\n')
        w.table('log')
        w.execute('ex', 'def onStart():\n    op("log").appendRow(["start"])\n'
                        'def onFrameStart(frame):\n    op("log").appendRow(["fs"])\n'
                        'def onFrameEnd(frame):\n    op("log").appendRow(["fe"])\n', frameend=True)
        sock = w.websocket('ws', 'cb', active=True)
        w.start()
        w.step()  # connects
        w.op('log').clear()
        sock.queue_text('x')
        w.step()
        self.assertEqual([r[0] for r in w.op('log').values()], expected)

    def test_frame_first(self):
        self.check_order('frame_first', ['fs', 'msg', 'fe'])

    def test_messages_first(self):
        self.check_order('messages_first', ['msg', 'fs', 'fe'])

    def test_toggles_gate_callbacks(self):
        w = World()
        w.table('log')
        ex = w.execute('ex', 'def onFrameStart(frame):\n    op("log").appendRow([frame])\n', framestart=False)
        w.step()
        self.assertEqual(w.op('log').numRows, 0)
        ex.par.framestart = True
        w.step()
        self.assertEqual(w.op('log').values(), [['2']])


if __name__ == '__main__':
    unittest.main()
