"""OSC In DAT (https://docs.derivative.ca/OSC_In_DAT, https://docs.derivative.ca/OscinDAT_Class).

What the emulator models:
- Parameters `active`, `protocol`, `address`, `port`, `splitbundle`, `callbacks`, `clamp`, `maxlines`. While Active
  is off "no updating occurs. Data sent to the port is lost".
- Each message received appends a row (address and arguments as text) to the DAT's FIFO and calls
  onReceiveOSC(dat, rowIndex, message, bytes, timeStamp, address, args, peer) once ("The Callbacks DAT will
  execute once for each message received"); `args` is a list of Python values (str, float, int). A bundle with
  Split Bundle into Messages on is one call per message. With it off, UNVERIFIED what the callback gets: here one
  call per bundle with address '#bundle' and no arguments (the harder reading: the script learns nothing).
- Messages are queued and delivered in the frame's message phase (the bridge), or delivered at once (tests).
"""
from .ops import OP, TextDAT
from .table import TableDAT


class Peer:
    """https://docs.derivative.ca/Peer_Class (the members the callback may read)."""

    def __init__(self, owner, address, port):
        self.owner = owner
        self.address = address
        self.port = port

    def close(self):
        return None


class OscInDAT(OP):
    OPType = 'oscinDAT'
    type = 'oscin'
    isTable = True
    DEFAULT_NAME = 'oscin1'

    def __init__(self, name, world, callbacks=None, active=False, port=7000):
        super().__init__(name, world, {
            'active': False, 'protocol': 'msging', 'address': '', 'port': port, 'localaddress': '',
            'splitbundle': False, 'splitmessage': False, 'typetag': False, 'callbacks': callbacks,
            'clamp': True, 'maxlines': 100, 'clear': None,
        }, resolvers={'callbacks': self._resolve_par_op})
        self.fifo = TableDAT(name + '_fifo', [['message']])   # own counter: not the users table's cost
        self._pending = []
        self.received = 0
        if active:
            self.par.active = True

    @classmethod
    def created(cls, name, world):
        """UNVERIFIED: a new OSC In DAT's defaults: Active on, port 7000 (the docs give none), Split Bundle off."""
        return cls(name, world, active=True)

    def _initialize(self):
        if not self.world.variants['create_docks_callbacks']:
            return
        from .templates import OSCIN_CALLBACKS
        cb = self._parent.create(TextDAT, self.name + '_callbacks', initialize=False)
        cb.text = OSCIN_CALLBACKS
        cb.dock = self
        self.par.callbacks = cb

    def _par_changed(self, name, old, new):
        if name == 'active' and not new:
            self._pending = []
        elif name == 'clear' and new == 'pulse':
            self.fifo.clear(keepFirstRow=True)

    @property
    def numRows(self):
        return self.fifo.numRows

    def __getitem__(self, rc):
        return self.fifo[rc]

    # ---- network events ----------------------------------------------------------------------------------
    def queue(self, packet, peer=('127.0.0.1', 0)):
        if self.par.active.eval():
            self._pending.append((packet, peer))

    def deliver_pending(self):
        pending, self._pending = self._pending, []
        for packet, peer in pending:
            self.deliver(packet, peer)
        return len(pending)

    def deliver(self, packet, peer=('127.0.0.1', 0)):
        """packet: {'address', 'args'} or {'bundle': [packet, ...], 'timetag'}."""
        if not self.par.active.eval():
            return
        if 'bundle' in packet:
            if self.par.splitbundle.eval():
                for element in packet['bundle']:
                    self.deliver(element, peer)
            else:
                self._message('#bundle', [], packet.get('timetag', 0), peer)
            return
        self._message(packet.get('address', ''), list(packet.get('args', [])), packet.get('timetag', 0), peer)

    def _message(self, address, args, timestamp, peer):
        self.received += 1
        text = ' '.join([address] + [str(a) for a in args])
        row = self.fifo.appendRow([text])
        limit = self.par.maxlines.eval()
        if self.par.clamp.eval() and limit and self.fifo.numRows - 1 > limit:
            self.fifo.deleteRow(1)
            row -= 1
        dat = self.par.callbacks.eval()
        if dat is not None and hasattr(dat, 'callback_module'):
            self.world.call(dat, 'onReceiveOSC', self, row, text, text.encode('utf-8', 'replace'), timestamp,
                            address, args, Peer(self, peer[0], peer[1]))
