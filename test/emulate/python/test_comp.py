"""Components and operators as an installer script uses them (COMP_Class, OP_Class)."""
import unittest

from tdemu import COMP, ExecuteDAT, TableDAT, TextDAT, WebSocketDAT, World, tdError
from tdemu.templates import EXECUTE, WEBSOCKET_CALLBACKS


def installer(text, variants=None):
    """Runs `text` as Run Script would from a Text DAT in the project; returns the world."""
    w = World(variants=variants, echo_errors=False)
    dat = w.text_dat('install', text)
    w.run_script(dat)
    return w


class Create(unittest.TestCase):
    def test_types_are_td_globals_and_strings_work_too(self):
        w = installer('a = parent().create(tableDAT, "a")\n'
                      'b = parent().create("textDAT", "b")\n'
                      'c = parent().create(type(a), "c")\n'
                      'd = parent().create(a.OPType)\n')
        self.assertEqual(w.errors, [])
        self.assertIsInstance(w.op('a'), TableDAT)
        self.assertIsInstance(w.op('b'), TextDAT)
        self.assertIsInstance(w.op('c'), TableDAT)
        self.assertIsInstance(w.op('table1'), TableDAT)  # no name: the type's default name

    def test_a_taken_name_becomes_the_next_numbered_one(self):
        w = World()
        comp = w.project_comp
        self.assertEqual(comp.create('tableDAT', 'users').name, 'users')
        self.assertEqual(comp.create('tableDAT', 'users').name, 'users1')
        self.assertEqual(comp.create('tableDAT', 'users').name, 'users2')
        self.assertEqual(comp.create('executeDAT', 'execute1').name, 'execute1')
        self.assertEqual(comp.create('executeDAT', 'execute1').name, 'execute2')
        self.assertEqual(comp.create('executeDAT').name, 'execute3')

    def test_unknown_types_raise(self):
        with self.assertRaises(tdError):
            World().project_comp.create('waveCHOP')

    def test_created_operators_have_the_type_defaults(self):
        w = World()
        comp = w.project_comp
        t = comp.create('tableDAT', 'table')
        self.assertEqual((t.numRows, t.numCols), (0, 0))
        ex = comp.create('executeDAT', 'ex')
        self.assertEqual(ex.text, EXECUTE)
        self.assertTrue(ex.par.active.eval())
        self.assertFalse(any(ex.par._pars[p].val for p in ('start', 'create', 'framestart', 'frameend')))
        self.assertTrue(callable(ex.module.onFrameStart))
        txt = comp.create('textDAT', 'txt')
        self.assertEqual(txt.text, '')
        self.assertEqual((t.type, t.OPType, t.family), ('table', 'tableDAT', 'DAT'))
        self.assertEqual((ex.type, txt.type), ('execute', 'text'))
        base = comp.create('baseCOMP', 'box')
        self.assertEqual((base.type, base.OPType, base.family, base.isCOMP), ('base', 'baseCOMP', 'COMP', True))


class Docking(unittest.TestCase):
    def test_a_websocket_dat_gets_a_docked_callbacks_dat_by_default(self):
        w = World()
        ws = w.project_comp.create('websocketDAT', 'sink')
        cb = w.op('sink_callbacks')
        self.assertIsInstance(cb, TextDAT)
        self.assertEqual(cb.text, WEBSOCKET_CALLBACKS)
        self.assertIs(cb.dock, ws)
        self.assertEqual(ws.docked, [cb])
        self.assertIs(ws.par.callbacks.eval(), cb)
        for fn in ('onConnect', 'onDisconnect', 'onReceiveText', 'onReceiveBinary', 'onReceivePing',
                   'onReceivePong', 'onMonitorMessage'):
            self.assertTrue(callable(getattr(cb.module, fn)), fn)

    def test_without_the_dock_variant_it_comes_alone(self):
        w = World(variants={'create_docks_callbacks': False})
        ws = w.project_comp.create('websocketDAT', 'sink')
        self.assertIsNone(w.op('sink_callbacks'))
        self.assertIsNone(ws.par.callbacks.eval())
        self.assertEqual(ws.docked, [])

    def test_initialize_false_skips_the_dock(self):
        w = World()
        w.project_comp.create('websocketDAT', 'sink', initialize=False)
        self.assertIsNone(w.op('sink_callbacks'))

    def test_dock_is_settable_and_clearable(self):
        w = World()
        a, b = w.table('a'), w.table('b')
        b.dock = a
        self.assertEqual(a.docked, [b])
        b.dock = None
        self.assertEqual(a.docked, [])
        with self.assertRaises(TypeError):
            b.dock = 'a'

    def test_a_created_websocket_dat_is_active_and_needs_a_toggle_after_configuring(self):
        w = World()
        w.loopback.target = ('localhost', 8080)
        ws = w.project_comp.create('websocketDAT', 'sink')
        self.assertTrue(ws.par.active.eval())
        ws.par.port = 8080
        w.step()
        self.assertFalse(ws.connected)  # the first attempt went to the default port
        ws.par.active = False
        ws.par.active = True
        w.step()
        self.assertTrue(ws.connected)


class Find(unittest.TestCase):
    def setUp(self):
        self.w = w = World()
        comp = w.project_comp
        self.t = comp.create('tableDAT', 'users')
        self.t.tags = ['tdcrowd', 'table']
        self.ws = comp.create('websocketDAT', 'sink')
        self.ws.tags.add('tdcrowd')
        self.box = comp.create('baseCOMP', 'box')
        self.inner = self.box.create('tableDAT', 'inner')
        self.inner.tags.add('tdcrowd')

    def test_by_type_name_tags_and_depth(self):
        comp = self.w.project_comp
        self.assertEqual(comp.findChildren(type=TableDAT), [self.t, self.inner])
        self.assertEqual(comp.findChildren(type=TableDAT, maxDepth=1), [self.t])
        self.assertEqual(comp.findChildren(type=TableDAT, depth=2), [self.inner])
        self.assertEqual(comp.findChildren(type=TextDAT), [self.w.op('sink_callbacks')])  # exact type
        self.assertEqual(comp.findChildren(name='s*'), [self.ws, self.w.op('sink_callbacks')])
        self.assertEqual(comp.findChildren(tags=['tdcrowd']), [self.t, self.ws, self.inner])
        self.assertEqual(comp.findChildren(tags=['table', 'nope']), [self.t])  # any of them
        self.assertEqual(comp.findChildren(tags=['table', 'tdcrowd'], allTags=True), [self.t])
        self.assertEqual(comp.findChildren(type='websocketDAT'), [self.ws])

    def test_children_paths_and_lookups(self):
        comp = self.w.project_comp
        self.assertEqual([o.name for o in comp.children], ['users', 'sink', 'sink_callbacks', 'box'])
        self.assertEqual(self.inner.path, '/project1/box/inner')
        self.assertIs(comp.op('box/inner'), self.inner)
        self.assertIs(self.box.op('inner'), self.inner)
        self.assertIs(self.w.op('/project1/box/inner'), self.inner)
        self.assertIs(self.box.op('../users'), self.t)
        self.assertIs(self.inner.parent(), self.box)
        self.assertIs(self.inner.parent(2), comp)
        self.assertIs(self.w.op(self.t.id), self.t)
        self.assertEqual(comp.ops('s*'), [self.ws, self.w.op('sink_callbacks')])

    def test_a_script_inside_a_nested_component_looks_there_first(self):
        script = self.box.create('textDAT', 'script')
        script.text = 'found = op("inner")\nup = parent()\nmissing = op("users")\n'
        m = script.module
        self.assertIs(m.found, self.inner)
        self.assertIs(m.up, self.box)
        self.assertIsNone(m.missing)  # a sibling of the component, not of the script


class RenameAndDestroy(unittest.TestCase):
    def test_rename_moves_lookups_and_refuses_a_taken_name(self):
        w = World()
        t = w.table('old')
        t.name = 'new'
        self.assertIsNone(w.op('old'))
        self.assertIs(w.op('new'), t)
        self.assertEqual(t.path, '/project1/new')
        w.table('other')
        with self.assertRaises(tdError):
            t.name = 'other'
        with self.assertRaises(ValueError):
            t.name = 'bad name'

    def test_destroy_takes_docked_operators_along(self):
        w = World()
        ws = w.project_comp.create('websocketDAT', 'sink')
        cb = w.op('sink_callbacks')
        ws.destroy()
        self.assertFalse(ws.valid)
        self.assertFalse(cb.valid)
        self.assertIsNone(w.op('sink'))
        self.assertIsNone(w.op('sink_callbacks'))
        with self.assertRaises(tdError):
            ws.destroy()
        self.assertEqual(w.project_comp.create('websocketDAT', 'sink').name, 'sink')  # the name is free again

    def test_an_installer_can_replace_what_an_earlier_run_made(self):
        text = ('old = op("sink")\n'
                'if old is not None:\n'
                '    old.destroy()\n'
                'ws = parent().create(websocketDAT, "sink")\n'
                'ws.comment = "made by install"\n'
                'ws.nodeX, ws.nodeY = 200, -100\n')
        w = installer(text)
        w.run_script(w.op('install'))
        self.assertEqual(w.errors, [])
        self.assertEqual([o.name for o in w.project_comp.children], ['install', 'sink', 'sink_callbacks'])
        self.assertEqual((w.op('sink').comment, w.op('sink').nodeX), ('made by install', 200))


class TextChanges(unittest.TestCase):
    def test_setting_text_recompiles_per_variant(self):
        for recompile, survives in (('fresh', False), ('in_place', True)):
            w = World(variants={'recompile': recompile})
            ex = w.project_comp.create('executeDAT', 'ex')
            ex.module.leftover = 1
            ex.text = 'def onStart():\n    op("log").appendRow(["started"])\n'
            ex.par.start = True
            w.table('log')
            w.start()
            self.assertEqual(w.op('log').values(), [['started']])
            self.assertEqual(hasattr(ex.module, 'leftover'), survives, recompile)

    def test_table_text_is_settable(self):
        t = World().table('t')
        t.text = 'user\tx\n1\t2\n'
        self.assertEqual(t.values(), [['user', 'x'], ['1', '2']])


if __name__ == '__main__':
    unittest.main()
