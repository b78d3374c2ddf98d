# The tutorial's WebSocket DAT callbacks (README: the stack tdcrowd grew from), written out as the baseline for bench/python-cost.mjs and the emulator's `preset: "tutorial"`.
# Not generated code and not for TouchDesigner use: every message is parsed, then the table `test_test`
# (header user,valuex,valuey,speed,angle) is scanned row by row for the sender's id; the row is updated in
# place, or a row is appended (a connect, which carries no values, appends zeros). A delete scans the same
# way and deletes the row it finds.
import json


def onConnect(dat):
    return


def onDisconnect(dat):
    return


def onReceiveText(dat, rowIndex, message):
    if message == 'ping':
        dat.sendText('pong')
        return
    data = json.loads(message)
    table = op('test_test')
    user = str(data['sliderId'])
    if data.get('type') == 'delete':
        for i in range(1, table.numRows):
            if table[i, 0].val == user:
                table.deleteRow(i)
                break
        return
    for i in range(1, table.numRows):
        if table[i, 0].val == user:
            table[i, 'valuex'] = data.get('x', 0)
            table[i, 'valuey'] = data.get('y', 0)
            table[i, 'speed'] = data.get('speed', 0)
            table[i, 'angle'] = data.get('angle', 0)
            return
    table.appendRow([user, data.get('x', 0), data.get('y', 0), data.get('speed', 0), data.get('angle', 0)])


def onReceiveBinary(dat, contents):
    return


def onReceivePing(dat, contents):
    dat.sendPong(contents)
    return


def onReceivePong(dat, contents):
    return


def onMonitorMessage(dat, message):
    return
