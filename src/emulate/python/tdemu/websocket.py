"""WebSocket DAT (client). The network side is a pluggable link: LoopbackLink for tests (a pretend relay
that accepts connections when `up`), or the JSON-lines bridge that hands frames to a real socket.

A link's open(dat, attempt) starts an attempt; it ends with dat.connect() or dat.fail(). A live connection
ends with dat.disconnect() (lost) or par.active going off."""
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


class LoopbackServer:
    """The pretend relay every loopback link talks to: accepts while `up`, and only at `target`
    ((netaddress, port)) when one is set."""

    def __init__(self, up=True, target=None):
        self.up = up
        self.target = target

    def accepts(self, netaddress, port):
        if not self.up:
            return False
        if self.target is None:
            return True
        try:
            port = int(port)
        except (TypeError, ValueError):
            return False
        return (str(netaddress), port) == (self.target[0], int(self.target[1]))


class LoopbackLink:
    """A WebSocket DAT's network side in tests: an attempt is settled on the next frame (connect when the server
    accepts, fail when not); everything sent lands in the DAT's outbox."""

    def __init__(self, up=True, server=None):
        self.server = server if server is not None else LoopbackServer(up)
        self.attempts = []   # absTime.seconds of each connection attempt

    @property
    def up(self):
        return self.server.up

    @up.setter
    def up(self, value):
        self.server.up = bool(value)

    def open(self, dat, attempt):
        """The attempt goes to the address the parameters hold now; it settles on the next frame."""
        self.attempts.append(dat.world.absTime.seconds)
        dat.queue_event('attempt', (attempt, dat.par.netaddress.eval(), dat.par.port.eval()))

    def settle(self, dat, netaddress, port):
        return self.server.accepts(netaddress, port)

    def close(self, dat):
        pass

    def send(self, dat, kind, data):
        pass


class WebSocketDAT(OP):
    """https://docs.derivative.ca/WebSocket_DAT. The DAT never retries by itself: an attempt that fails, or a
    connection that drops, leaves it active and not connected until par.active goes off and on again."""

    OPType = 'websocketDAT'
    type = 'websocket'
    isTable = True
    DEFAULT_NAME = 'websocket1'

    def __init__(self, name, world, callbacks=None, active=False, netaddress='localhost', port=8080,
                 maxlines=100, link=None):
        super().__init__(name, world, {
            'active': False, 'netaddress': netaddress, 'port': port, 'timeout': 5000,
            'callbacks': callbacks, 'executeloc': 'callbacks', 'clamp': True, 'maxlines': maxlines,
            'bytes': False, 'clear': None,
        }, resolvers={'callbacks': self._resolve_par_op})
        self.fifo = TableDAT(name + '_fifo', [['message']])  # own counter: not the users table's cost
        self.connected = False
        self.connects = 0      # connections that opened
        self.fail_sends = 0    # the next this-many sendText calls return -1 (driver `fail_sends`)
        self.link = link if link is not None else (world.new_link() if world is not None else LoopbackLink())
        self.outbox = []       # {'kind': 'text'|'pong'|'ping'|'binary', 'data': str, 't': seconds}
        self.attempt_walls = []  # wall seconds of each attempt (absTime can pause; the wall clock cannot)
        self._pending = []     # events delivered at the next frame
        self._attempt = 0      # sequence number of the latest attempt
        self._attempting = None  # the attempt in flight, if any
        if active:
            self.par.active = True

    @classmethod
    def created(cls, name, world):
        """UNVERIFIED: a new WebSocket DAT's parameter defaults (the docs give none). Here Active is on and the
        address localhost:80, so it makes an attempt at once; changing the address does not restart it
        (see _par_changed): an installer must switch Active off and on after configuring it."""
        return cls(name, world, callbacks=None, active=True, netaddress='localhost', port=80)

    def _initialize(self):
        """With the `create_docks_callbacks` variant, a docked callbacks DAT holding the default template."""
        if not self.world.variants['create_docks_callbacks']:
            return
        from .ops import TextDAT
        from .templates import WEBSOCKET_CALLBACKS
        cb = self._parent.create(TextDAT, self.name + '_callbacks', initialize=False)
        cb.text = WEBSOCKET_CALLBACKS
        cb.dock = self
        cb.nodeX, cb.nodeY = self.nodeX, self.nodeY - 100
        self.par.callbacks = cb

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
        """UNVERIFIED: changing netaddress/port while active does not restart the connection; it is used by the
        next attempt (the harder reading: scripts and installers toggle Active to apply it)."""
        if name == 'active':
            if new and not old:
                self._start_attempt()
            elif old and not new:
                self._deactivate()
        elif name == 'clear' and new == 'pulse':
            self.fifo.clear(keepFirstRow=True)

    def _start_attempt(self):
        self._attempt += 1
        self._attempting = self._attempt
        self.attempt_walls.append(self.world.wall)
        self.link.open(self, self._attempt)

    def _deactivate(self):
        """Active switched off: a live connection ends (onDisconnect per the `deactivate_disconnect` variant),
        an attempt in flight is abandoned without a callback, queued data is lost ("While Off, no updating
        occurs. Data sent to the port is lost": https://docs.derivative.ca/WebSocket_DAT)."""
        was_connected = self.connected
        self.link.close(self)
        self.connected = False
        self._attempting = None
        self._pending = []
        if was_connected and self.world.variants['deactivate_disconnect']:
            self._call('onDisconnect')

    def close_silently(self):
        """The project closed (reopen) or the DAT was destroyed: everything ends, no callbacks."""
        if self.connected or self._attempting is not None:
            self.link.close(self)
        self.connected = False
        self._attempting = None
        self._pending = []

    def _on_destroy(self):
        self.close_silently()

    def _callbacks_dat(self):
        return self.par.callbacks.eval()

    def _call(self, fn, *args):
        dat = self._callbacks_dat()
        if dat is not None and hasattr(dat, 'callback_module'):
            self.world.call(dat, fn, self, *args)

    # ---- network events (tests and the bridge call these) ---------------------------------------------
    @property
    def attempting(self):
        return self._attempting is not None

    def queue_event(self, kind, data=None):
        self._pending.append((kind, data))

    def queue_text(self, message):
        self.queue_event('text', message)

    def deliver_pending(self):
        pending, self._pending = self._pending, []
        for kind, data in pending:
            if kind == 'attempt':
                attempt, netaddress, port = data
                if attempt == self._attempting:  # an abandoned attempt settles nothing
                    if self.link.settle(self, netaddress, port):
                        self.connect()
                    else:
                        self.fail()
                continue
            {'connect': lambda d: self.connect(), 'disconnect': lambda d: self.disconnect(),
             'fail': lambda d: self.fail(),
             'text': self.inject_text, 'binary': self.inject_binary, 'ping': self.inject_ping,
             'pong': self.inject_pong}[kind](data)
        return len(pending)

    def connect(self):
        """The attempt succeeded (loopback: server up; bridge: the real socket opened)."""
        if not self.par.active.eval() or self.connected:
            return False
        self.connected = True
        self._attempting = None
        self.connects += 1
        self._call('onConnect')
        return True

    def fail(self):
        """The attempt in flight failed. onDisconnect only with the `failed_connect_disconnect` variant."""
        if self._attempting is None or self.connected:
            return False
        self._attempting = None
        if self.world.variants['failed_connect_disconnect']:
            self._call('onDisconnect')
        return True

    def disconnect(self):
        """A live connection was lost (server gone, network cut): onDisconnect, which the template documents
        for a connection that closes (https://docs.derivative.ca/WebsocketDAT_Class#Callbacks)."""
        if not self.connected:
            return False
        self.connected = False
        self._pending = []
        self._call('onDisconnect')
        return True

    drop = disconnect

    # the DAT connecting and disconnecting, as a test drives it
    def inject_connect(self):
        return self.connect()

    def inject_disconnect(self):
        return self.disconnect()

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

    def _contents(self, contents):
        """Binary contents as the `binary_contents` variant hands them to a callback."""
        kind = self.world.variants['binary_contents']
        if kind == 'bytearray':
            return bytearray(contents)
        if kind == 'memoryview':
            return memoryview(bytes(contents))
        return bytes(contents)

    def inject_binary(self, contents):
        if self.connected:
            self._call('onReceiveBinary', self._contents(contents))

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
        if kind == 'text' and self.fail_sends > 0:  # driver `fail_sends`: "negative on error" (WebsocketDAT_Class)
            self.fail_sends -= 1
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
