"""The tutorial's algorithm, reconstructed for side-by-side comparisons (SPEC §5): every message scans the
table's rows for the sender's id. Not generated code and not for TouchDesigner; a baseline for benchmarks."""

TUTORIAL_CALLBACKS = '''
import json

def onReceiveText(dat, rowIndex, message):
    if message == 'ping':
        dat.sendText('pong')
        return
    data = json.loads(message)
    table = op('test_test')
    uid = str(data['sliderId'])
    if data.get('type') == 'delete':
        for i in range(1, table.numRows):
            if table[i, 0].val == uid:
                table.deleteRow(i)
                break
        return
    for i in range(1, table.numRows):
        if table[i, 0].val == uid:
            table[i, 'valuex'] = data.get('x', 0)
            table[i, 'valuey'] = data.get('y', 0)
            table[i, 'speed'] = data.get('speed', 0)
            table[i, 'angle'] = data.get('angle', 0)
            return
    table.appendRow([uid, data.get('x', 0), data.get('y', 0), data.get('speed', 0), data.get('angle', 0)])
'''

TUTORIAL_EXECUTE = '''
def onStart():
    op('test_test').clear(keepFirstRow=True)
'''
