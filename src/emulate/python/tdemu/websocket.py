"""WebSocket DAT (client). The network side is a pluggable link: LoopbackLink for tests (a pretend relay
that accepts connections when `up`), or the JSON-lines bridge that hands frames to a real socket."""
from .ops import OP
from .table import TableDAT


def _to_bytes(parts):
    out = bytearray()
    for p in parts:
        if p is None:
            continue
        if isinstance(p, str):
            out += p.encode('utf-8')
        elif isinstance(p, int) and not isinstance(p, bool):
            out.append(p & 0xFF)
        else:
            out += bytes(p)
    return bytes(out)


class LoopbackLink:
    """A pretend server: opens succeed on the next frame while `up`; everything sent lands in the outbox."""

    def __init__(self, up=True):
        self.up = up
        self.attempts = []   # absTime.seconds of each connection attempt

    def open(self, dat):
        self.attempts.append(dat.world.absTime.seconds)
        if self.up:
            dat.queue_event('connect')

    def close(self, dat):
        pass

    def send(self, dat, kind, data):
        pass


class WebSocketDAT(OP):
    def __init__(self, name, world, callbacks=None, active=False, netaddress='localhost', port=8080,
                 maxlines=100, link=None):
        super().__init__(name, world, {
            'active': active, 'netaddress': netaddress, 'port': port, 'timeout': 5000,
            'callbacks': callbacks, 'executeloc': 'callbacks', 'clamp': True, 'maxlines': maxlines,
            'bytes': False, 'clear': None,
        })
        self.fifo = TableDAT(name + '_fifo', [['message']])  # own counter: not the users table's cost
        self.connected = False
        self.link = link if link is not None else LoopbackLink()
        self.outbox = []       # {'kind': 'text'|'pong'|'ping'|'binary', 'data': str, 't': seconds}
        self._pending = []     # events delivered at the next frame
        if active:
            self.link.open(self)

    # ---- the DAT's table view (its FIFO) -----------------------------------------------------------
    @property
    def numRows(self):
        return self.fifo.numRows

    @property
    def numCols(self):
        return self.fifo.numCols

    def __getitem__(self, rc):
        return self.fifo[rc]

    @property
    def text(self):
        return self.fifo.text

    # ---- parameters --------------------------------------------------------------------------------
    def _par_changed(self, name, old, new):
        if name == 'active':
            if new and not old:
                self.link.open(self)
            elif old and not new:
                self.link.close(self)
                if self.connected:
                    self._drop()
        elif name == 'clear' and new == 'pulse':
            self.fifo.clear(keepFirstRow=True)

    def _callbacks_dat(self):
        cb = self.par.callbacks.eval()
        return self.world.op(cb) if isinstance(cb, str) else cb

    def _call(self, fn, *args):
        dat = self._callbacks_dat()
        if dat is not None:
            self.world.call(dat, fn, self, *args)

    # ---- network events (tests and the bridge call these) ---------------------------------------------
    def queue_event(self, kind, data=None):
        self._pending.append((kind, data))

    def queue_text(self, message):
        self.queue_event('text', message)

    def deliver_pending(self):
        pending, self._pending = self._pending, []
        for kind, data in pending:
            {'connect': lambda d: self.connect(), 'disconnect': lambda d: self.disconnect(),
             'text': self.inject_text, 'binary': self.inject_binary, 'ping': self.inject_ping,
             'pong': self.inject_pong}[kind](data)
        return len(pending)

    def connect(self):
        if not self.par.active.eval() or self.connected:
            return False
        self.connected = True
        self._call('onConnect')
        return True

    def disconnect(self):
        if not self.connected:
            return False
        self._drop()
        return True

    # the DAT connecting and disconnecting, as a test drives it
    def inject_connect(self):
        return self.connect()

    def inject_disconnect(self):
        return self.disconnect()

    def _drop(self):
        self.connected = False
        self._call('onDisconnect')

    def inject_text(self, message):
        if not self.par.active.eval() or not self.connected:
            return None  # data sent to an inactive DAT is lost
        row = self.fifo.appendRow([message])
        limit = self.par.maxlines.eval()
        if self.par.clamp.eval() and limit and self.fifo.numRows - 1 > limit:
            self.fifo.deleteRow(1)
            row -= 1
        self._call('onReceiveText', row, message)
        return row

    def inject_binary(self, contents):
        if self.connected:
            self._call('onReceiveBinary', bytes(contents))

    def inject_ping(self, contents=b''):
        if self.connected:
            self._call('onReceivePing', bytes(contents))

    def inject_pong(self, contents=b''):
        if self.connected:
            self._call('onReceivePong', bytes(contents))

    # ---- methods the scripts call -------------------------------------------------------------------
    def _send(self, kind, payload):
        if not self.connected or not self.par.active.eval():
            return -1
        text = payload.decode('utf-8', 'replace')
        self.outbox.append({'kind': kind, 'data': text, 't': self.world.absTime.seconds})
        self.link.send(self, kind, payload)
        return len(payload)

    def sendText(self, *messages):
        return self._send('text', _to_bytes(messages))

    def sendBinary(self, *contents):
        return self._send('binary', _to_bytes(contents))

    def sendPing(self, *contents):
        return self._send('ping', _to_bytes(contents))

    def sendPong(self, *contents):
        return self._send('pong', _to_bytes(contents))
