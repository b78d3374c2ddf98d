"""The JSON-lines driver: commands and state fields added for the behaviour matrix and installers."""
import io
import json
import sys
import unittest

from tdemu.driver import Session, main

CALLBACKS = '''
events = []
stats = {'n': 0}
def onConnect(dat):
    events.append('connect')
    print('connected to', dat.par.port.eval())
def onDisconnect(dat):
    events.append('disconnect')
def onReceiveText(dat, row, msg):
    stats['n'] += 1
'''
EXECUTE = 'def onStart():\n    return\n'


def session(**load):
    events = []
    s = Session(events.append)
    args = {'cmd': 'load', 'scripts': {'websocket_callbacks.py': CALLBACKS, 'execute.py': EXECUTE}}
    args.update(load)
    s.handle(args)
    s.world.echo_errors = False
    return s, events


def cmd(s, command, **args):
    args['cmd'] = command
    return s.handle(args)


class Connection(unittest.TestCase):
    def test_state_reports_connection_fields(self):
        s, _ = session()
        st = cmd(s, 'state')
        self.assertTrue(st['attempting'])
        self.assertEqual(st['connects'], 0)
        cmd(s, 'step')
        st = cmd(s, 'state')
        self.assertTrue(st['connected'])
        self.assertEqual(st['connects'], 1)
        self.assertEqual(st['websocketPars'], {'active': True, 'netaddress': 'localhost', 'port': 8080,
                                               'callbacks': 'websocket1_callbacks'})
        self.assertEqual(st['textportTail'], ['connected to 8080'])
        self.assertEqual(len(st['attempts']), 1)
        self.assertEqual(len(st['attemptsWall']), 1)

    def test_server_down_drops_a_live_connection(self):
        s, _ = session()
        cmd(s, 'step')
        self.assertEqual(cmd(s, 'server', up=False), {'dropped': 1})
        st = cmd(s, 'state')
        self.assertFalse(st['connected'])
        self.assertEqual(s.world.op('websocket1_callbacks').module.events, ['connect', 'disconnect'])

    def test_drop_and_fail_commands(self):
        s, _ = session(variants={'failed_connect_disconnect': True})
        cmd(s, 'step')
        self.assertEqual(cmd(s, 'drop'), {'disconnected': True})
        self.assertEqual(cmd(s, 'fail'), {'failed': False})  # no attempt in flight
        cmd(s, 'set_par', op='websocket1', name='active', value=False)
        cmd(s, 'set_par', op='websocket1', name='active', value=True)
        self.assertEqual(cmd(s, 'fail'), {'failed': True})
        self.assertEqual(s.world.op('websocket1_callbacks').module.events, ['connect', 'disconnect', 'disconnect'])

    def test_fail_sends(self):
        s, _ = session()
        cmd(s, 'step')
        cmd(s, 'fail_sends', count=1)
        ws = s.world.op('websocket1')
        self.assertEqual(ws.sendText('x'), -1)
        self.assertEqual(ws.sendText('y'), 1)
        self.assertEqual([o['data'] for o in cmd(s, 'state')['outbox']], ['y'])

    def test_bridge_link_emits_open_and_settles_by_command(self):
        s, events = session(link='bridge')
        self.assertEqual(events[0]['event'], 'open')
        cmd(s, 'step')
        self.assertFalse(cmd(s, 'state')['connected'])  # a bridge attempt waits for `connect` or `fail`
        self.assertEqual(cmd(s, 'connect'), {'connected': True})
        s.world.op('websocket1').sendText('hi')
        self.assertEqual(events[-1], {'event': 'send', 'kind': 'text', 'data': 'hi'})


class Reopen(unittest.TestCase):
    def test_reopen_over_the_bridge_closes_and_opens_again_and_reports_storage(self):
        s, events = session(link='bridge')
        cmd(s, 'connect')
        s.world.op('websocket1_callbacks').store('seen', {'a': 1})
        r = cmd(s, 'reopen')
        self.assertGreaterEqual(r['storageKeys'], 1)
        self.assertEqual([e['event'] for e in events if e['event'] != 'send'], ['open', 'close', 'open'])
        st = cmd(s, 'state')
        self.assertFalse(st['connected'])
        self.assertTrue(st['attempting'])
        self.assertEqual(st['storage'], {'/project1/websocket1_callbacks': {'seen': {'a': 1}}})
        self.assertEqual(st['seconds'], 0.0)
        self.assertEqual(s.world.op('websocket1_callbacks').module.events, [])  # no callbacks on the way


class Timeline(unittest.TestCase):
    def test_play_pause_and_state(self):
        s, _ = session(variants={'timeline': 'paused'})
        self.assertEqual(cmd(s, 'state')['timeline'], 'paused')
        self.assertEqual(cmd(s, 'state')['variants']['timeline'], 'paused')
        r = cmd(s, 'advance', seconds=1)
        self.assertAlmostEqual(r['wall'], 1.0)
        self.assertEqual(cmd(s, 'play')['timeline'], 'playing')
        self.assertEqual(cmd(s, 'pause')['timeline'], 'paused')


class Installer(unittest.TestCase):
    INSTALL = '''
comp = parent()
table = comp.create(tableDAT, 'crowd')
table.appendRow(['user', 'x'])
ws = comp.create(websocketDAT, 'sink')
ws.tags.add('tdcrowd')
cb = ws.par.callbacks.eval()
cb.text = args_text = op('cbsource').text
ws.par.port = 8080
ws.par.active = False
ws.par.active = True
print('installed', ws.path, cb.name)
'''

    def test_empty_load_then_an_installer_builds_a_network_the_session_can_use(self):
        s, _ = session(empty=True)
        st = cmd(s, 'state')
        self.assertEqual(st['operators'], [])
        self.assertEqual(st['table'], [])
        cmd(s, 'add_text', name='cbsource', text=CALLBACKS)
        cmd(s, 'add_text', name='install', text=self.INSTALL)
        r = cmd(s, 'run_script', op='install')
        self.assertEqual(r, {'ok': True, 'errors': []})
        cmd(s, 'use', table='crowd', websocketDat='sink', callbacksDat='sink_callbacks')
        cmd(s, 'step')
        cmd(s, 'text', data='hello')
        st = cmd(s, 'state')
        self.assertTrue(st['connected'])
        self.assertEqual(st['stats'], {'n': 1})
        self.assertEqual(st['table'], [['user', 'x']])
        self.assertIn('installed /project1/sink sink_callbacks', st['textportTail'])
        by_name = {o['name']: o for o in st['operators']}
        self.assertEqual(by_name['sink']['type'], 'websocket')
        self.assertEqual(by_name['sink']['tags'], ['tdcrowd'])
        self.assertEqual(by_name['sink']['pars']['callbacks'], 'sink_callbacks')
        self.assertEqual(by_name['sink_callbacks']['dock'], 'sink')
        self.assertEqual(by_name['crowd']['OPType'], 'tableDAT')

    def test_run_script_records_errors(self):
        s, _ = session(empty=True)
        cmd(s, 'add_text', name='install', text='parent().create(noSuchDAT)\n')
        r = cmd(s, 'run_script', op='install')
        self.assertFalse(r['ok'])
        self.assertIn('NameError', r['errors'][0]['error'])
        self.assertEqual(r['errors'][0]['callback'], '<script>')

    def test_create_and_rename_like_a_user(self):
        s, _ = session()
        r = cmd(s, 'create', opType='executeDAT', name='execute1')
        self.assertEqual(r['name'], 'execute2')  # taken: the next numbered name
        r = cmd(s, 'create', opType='websocketDAT')
        self.assertEqual(r['docked'], ['websocket2_callbacks'])
        cmd(s, 'rename', op='test_test', to='users')
        self.assertEqual(cmd(s, 'state')['names']['table'], 'users')  # the session follows it
        self.assertIsNone(s.world.op('test_test'))
        self.assertIsNotNone(s.world.op('users'))
        with self.assertRaises(ValueError):
            cmd(s, 'rename', op='nobody', to='x')

    def test_create_without_op_type_still_fires_on_create(self):
        s, _ = session(scripts={'websocket_callbacks.py': '', 'execute.py': 'n = []\ndef onCreate():\n    n.append(1)\n'})
        cmd(s, 'create')
        self.assertEqual(s.world.op('execute1').module.n, [1])


class Protocol(unittest.TestCase):
    def test_scripts_printing_cannot_corrupt_the_protocol(self):
        lines = [
            json.dumps({'id': 1, 'cmd': 'load', 'scripts': {
                'websocket_callbacks.py': 'import sys\nprint("noise")\nsys.stdout.write("more noise\\n")\n',
                'execute.py': ''}}),
            json.dumps({'id': 2, 'cmd': 'state'}),
        ]
        out, err = io.StringIO(), io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            main(io.StringIO('\n'.join(lines) + '\n'))
        finally:
            restored = sys.stdout
            sys.stdout, sys.stderr = saved
        self.assertIs(restored, out)  # main() puts stdout back when the input ends
        self.assertEqual(err.getvalue(), 'more noise\n')  # a raw write to sys.stdout lands on stderr
        answers = [json.loads(l) for l in out.getvalue().splitlines()]
        self.assertEqual([a['id'] for a in answers], [1, 2])
        self.assertTrue(all(a['ok'] for a in answers))


if __name__ == '__main__':
    unittest.main()
