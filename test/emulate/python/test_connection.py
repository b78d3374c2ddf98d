"""WebSocket DAT connection life: attempts, connect, fail, drop, switching off, failed sends."""
import unittest

from tdemu import World

EVENTS = '''
events = []
def onConnect(dat):
    events.append('connect')
def onDisconnect(dat):
    events.append('disconnect')
'''


def project(variants=None, up=True):
    w = World(variants=variants, echo_errors=False)
    w.text_dat('cb', EVENTS)
    sock = w.websocket('ws', 'cb')
    w.loopback.up = up
    return w, sock, w.op('cb').module


class Attempts(unittest.TestCase):
    def test_an_attempt_settles_on_the_next_frame(self):
        w, sock, m = project()
        sock.par.active = True
        self.assertTrue(sock.attempting)
        self.assertFalse(sock.connected)
        self.assertEqual(len(sock.link.attempts), 1)
        w.step()
        self.assertTrue(sock.connected)
        self.assertFalse(sock.attempting)
        self.assertEqual(sock.connects, 1)
        self.assertEqual(m.events, ['connect'])

    def test_a_failed_attempt_leaves_the_dat_on_and_never_retries(self):
        w, sock, m = project(up=False)
        sock.par.active = True
        w.step()
        w.loopback.up = True
        w.advance(10)
        self.assertFalse(sock.connected)
        self.assertTrue(sock.par.active.eval())
        self.assertEqual(len(sock.link.attempts), 1)
        sock.par.active = False  # the only way to retry: off and on
        sock.par.active = True
        w.step()
        self.assertTrue(sock.connected)
        self.assertEqual(len(sock.link.attempts), 2)
        self.assertEqual(len(sock.attempt_walls), 2)

    def test_the_server_decides_when_the_attempt_settles(self):
        w, sock, m = project()
        sock.par.active = True
        w.loopback.up = False  # goes down before the next frame
        w.step()
        self.assertFalse(sock.connected)

    def test_the_loopback_server_only_accepts_its_address(self):
        w, sock, m = project()
        w.loopback.target = ('relay.local', 9000)
        sock.par.active = True
        w.step()
        self.assertFalse(sock.connected)
        sock.par.netaddress = 'relay.local'
        sock.par.port = 9000
        w.step()
        self.assertFalse(sock.connected)  # a changed address waits for the next attempt (no restart)
        sock.par.active = False
        sock.par.active = True
        w.step()
        self.assertTrue(sock.connected)


class Drops(unittest.TestCase):
    def test_a_lost_connection_calls_on_disconnect_and_loses_queued_data(self):
        w, sock, m = project()
        sock.par.active = True
        w.step()
        sock.queue_text('late')
        self.assertTrue(sock.disconnect())
        self.assertFalse(sock.disconnect())
        w.step()
        self.assertEqual(m.events, ['connect', 'disconnect'])
        self.assertEqual(sock.numRows, 1)  # 'late' never arrived
        self.assertTrue(sock.par.active.eval())
        w.advance(5)
        self.assertEqual(len(sock.link.attempts), 1)  # no retry by itself

    def test_destroying_the_dat_ends_the_connection_without_callbacks(self):
        w, sock, m = project()
        sock.par.active = True
        w.step()
        sock.destroy()
        self.assertFalse(sock.connected)
        self.assertEqual(m.events, ['connect'])
        self.assertNotIn(sock, w.websockets())


class Sends(unittest.TestCase):
    def test_fail_sends_makes_the_next_send_texts_return_minus_one(self):
        w, sock, m = project()
        sock.par.active = True
        w.step()
        sock.fail_sends = 2
        self.assertEqual(sock.sendText('a'), -1)
        self.assertEqual(sock.sendPong(b'p'), 1)  # only sendText fails
        self.assertEqual(sock.sendText('b'), -1)
        self.assertEqual(sock.sendText('c'), 1)
        self.assertEqual([o['data'] for o in sock.outbox], ['p', 'c'])


class Callbacks(unittest.TestCase):
    def test_the_callbacks_parameter_takes_an_operator_or_a_path(self):
        w, sock, m = project()
        other = w.text_dat('other', EVENTS)
        sock.par.callbacks = other
        self.assertEqual(sock.par.callbacks.val, 'other')
        self.assertIs(sock.par.callbacks.eval(), other)
        sock.par.callbacks = '/project1/cb'
        self.assertIs(sock.par.callbacks.eval(), w.op('cb'))
        sock.par.callbacks = 'missing'
        self.assertIsNone(sock.par.callbacks.eval())
        sock.par.active = True
        w.step()  # no callbacks DAT: nothing is called, nothing fails
        self.assertTrue(sock.connected)
        self.assertEqual(w.errors, [])


if __name__ == '__main__':
    unittest.main()
