"""Operator storage (OP_Class#Storage) and the driver's `reopen`: save the project and open it again."""
import unittest

from tdemu import World, tdError

CALLBACKS = '''
state = {'connects': 0}
def onConnect(dat):
    state['connects'] += 1
    me.store('connects', me.fetch('connects', 0) + 1)
def onDisconnect(dat):
    me.store('disconnected', True)
'''
EXECUTE = '''
log = []
def onStart():
    log.append('start')
    me.store('starts', me.fetch('starts', 0) + 1)
def onCreate():
    log.append('create')
'''


class Storage(unittest.TestCase):
    def test_store_fetch_and_defaults(self):
        t = World().table('t')
        self.assertEqual(t.store('k', [1]), [1])
        self.assertEqual(t.fetch('k'), [1])
        self.assertIs(t.storage['k'], t.fetch('k'))
        self.assertEqual(t.fetch('missing', 7), 7)
        self.assertNotIn('missing', t.storage)
        self.assertIsNone(t.fetch('missing', None))
        self.assertEqual(t.fetch('made', 3, storeDefault=True), 3)
        self.assertEqual(t.storage['made'], 3)

    def test_fetch_without_a_default_raises_for_a_missing_key(self):
        t = World().table('t')
        with self.assertRaises(KeyError):
            t.fetch('nothing')
        with self.assertRaises(tdError):
            t.fetch('nothing')

    def test_search_looks_in_the_parents(self):
        w = World()
        t = w.table('t')
        w.project_comp.store('shared', 'up here')
        self.assertEqual(t.fetch('shared'), 'up here')
        self.assertIs(t.fetchOwner('shared'), w.project_comp)
        self.assertEqual(t.fetch('shared', 'no', search=False), 'no')

    def test_unstore_and_startup_values_take_patterns(self):
        t = World().table('t')
        for k in ('sales1', 'sales2', 'other'):
            t.store(k, 1)
            t.storeStartupValue(k, 0)
        t.unstore('sales*')
        self.assertEqual(list(t.storage), ['other'])
        t.unstoreStartupValue('o*')
        self.assertEqual(sorted(t._startup), ['sales1', 'sales2'])


class Reopen(unittest.TestCase):
    def project(self, **variants):
        w = World(echo_errors=False, variants=variants or None)
        w.table('t', [['user'], ['a']])
        w.text_dat('cb', CALLBACKS)
        w.execute('ex', EXECUTE)
        ws = w.websocket('ws', 'cb')
        ws.par.active = True
        w.start(create=True)
        w.step()
        return w, ws

    def test_storage_survives_through_pickle_and_startup_values_win(self):
        w, ws = self.project()
        cb = w.op('cb')
        cb.store('plain', {'n': 1, 'when': [1.5]})
        cb.store('session', object())  # not picklable, but has a startup value
        cb.storeStartupValue('session', None)
        cb.storeStartupValue('fresh', 'from the startup table')
        cb.store('table', w.op('t'))  # operators are saved as references
        before = cb.storage['plain']
        w.reopen()
        self.assertEqual(cb.storage['plain'], {'n': 1, 'when': [1.5]})
        self.assertIsNot(cb.storage['plain'], before)  # a copy made from the saved file
        self.assertIsNone(cb.storage['session'])
        self.assertEqual(cb.storage['fresh'], 'from the startup table')
        self.assertIs(cb.storage['table'], w.op('t'))
        self.assertEqual(w.errors, [])

    def test_an_unpicklable_value_is_a_save_error_and_is_gone_after(self):
        w, ws = self.project()
        cb = w.op('cb')
        cb.store('fn', lambda: 1)
        cb.store('ok', 1)
        w.reopen()
        self.assertEqual([e['callback'] for e in w.errors], ['<save>'])
        self.assertIn("'fn'", w.errors[0]['error'])
        self.assertNotIn('fn', cb.storage)
        self.assertEqual(cb.storage['ok'], 1)

    def test_modules_runs_connections_and_clocks_start_again(self):
        w, ws = self.project()
        cb_module = w.op('cb').module
        self.assertEqual(cb_module.state['connects'], 1)
        w.op('t').appendRow(['b'])
        w.advance(1)
        out = []
        w.run('args[0].append(1)', out, delayFrames=5)
        wall = w.wall
        w.reopen()
        self.assertFalse(ws.connected)
        self.assertNotIn('disconnected', w.op('cb').storage)  # no callbacks on the way out
        self.assertEqual(len(w.runs), 0)
        self.assertEqual(w.absTime.seconds, 0.0)
        self.assertEqual(w.absTime.frame, 0)
        self.assertEqual(w.wall, wall)
        self.assertEqual(w.op('t').values(), [['user'], ['a'], ['b']])
        self.assertEqual(w.op('ex').module.log, ['start', 'create'])  # a fresh module, then onStart, onCreate
        self.assertEqual(w.op('ex').storage['starts'], 2)  # storage outlived the module
        self.assertIsNot(w.op('cb').module, cb_module)
        self.assertTrue(ws.attempting)  # an active DAT makes a new attempt
        w.step()
        self.assertTrue(ws.connected)
        self.assertEqual(w.op('cb').module.state['connects'], 1)  # module state restarted
        self.assertEqual(w.op('cb').storage['connects'], 2)  # storage did not
        w.advance(1)
        self.assertEqual(out, [])

    def test_save_callbacks_fire_when_toggled(self):
        w = World()
        ex = w.execute('ex', 'seen = []\ndef onProjectPreSave():\n    seen.append("pre")\n'
                             'def onProjectPostSave():\n    seen.append("post")\n',
                       projectpresave=True, projectpostsave=True)
        before = ex.module
        w.reopen()
        self.assertEqual(before.seen, ['pre', 'post'])


if __name__ == '__main__':
    unittest.main()
