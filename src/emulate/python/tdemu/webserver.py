"""Web Server DAT (https://docs.derivative.ca/Web_Server_DAT, https://docs.derivative.ca/WebserverDAT_Class).

What the emulator models:
- Parameters `active`, `restart` (pulse), `port`, `secure`, `callbacks`. Switching Active on starts the server
  (onServerStart); off stops it (onServerStop); Restart while active stops and starts it. Stopping ends every
  WebSocket connection; whether onWebSocketClose fires for each is the `webserver_stop_closes` variant
  (older builds do not: https://docs.derivative.ca/WebserverDAT_Class notes, and the reference notes).
- `client` is the address string the class page names ("The address of the Web Socket connection"), e.g.
  '127.0.0.1:50412'. Events from the network (open, text, binary, ping, pong, close) are queued and delivered
  in the frame's message phase, like the WebSocket DAT's. HTTP requests are answered at once (the bridge waits
  for the answer): onHTTPRequest(dat, request, response) gets the request dict the callbacks template lists
  (method, uri, pars, clientAddress, serverAddress, data) and must return the response dict (statusCode default
  404, statusReason, data, any other key a header).
- Methods webSocketSendText/Binary/Ping/Pong(client, data) and webSocketClose(client) return None, as the class
  page says. Sends to an address that is not open are dropped (counted); UNVERIFIED what TouchDesigner does.
  webSocketClose by a script ends the connection; whether onWebSocketClose then fires (on the next frame) is the
  `webserver_close_callback` variant (the page does not say).
- `webSocketConnections`: the open clients' addresses.
"""
from .ops import OP, TextDAT


class WebServerDAT(OP):
    OPType = 'webserverDAT'
    type = 'webserver'
    isTable = True
    DEFAULT_NAME = 'webserver1'

    def __init__(self, name, world, callbacks=None, active=False, port=9980, link=None):
        super().__init__(name, world, {
            'active': False, 'restart': None, 'port': port, 'secure': False, 'privatekey': '', 'certificate': '',
            'password': '', 'callbacks': callbacks,
        }, resolvers={'callbacks': self._resolve_par_op})
        self.link = link          # the network side: None (tests inject events) or the driver's bridge
        self.running = False
        self.clients = {}         # address -> uri, open connections
        self.outbox = []          # {'client', 'kind': 'text'|'binary'|'ping'|'pong'|'close', 'data', 't'}
        self.dropped_sends = 0    # sends to an address that is not open
        self.starts = 0
        self.stops = 0
        self._pending = []
        if active:
            self.par.active = True

    @classmethod
    def created(cls, name, world):
        """UNVERIFIED: a new Web Server DAT's defaults (the docs give the example port 9980): Active off."""
        return cls(name, world, active=False)

    def _initialize(self):
        """Like the WebSocket DAT, a docked callbacks DAT holding the class page's template, per the
        `create_docks_callbacks` variant."""
        if not self.world.variants['create_docks_callbacks']:
            return
        from .templates import WEBSERVER_CALLBACKS
        cb = self._parent.create(TextDAT, self.name + '_callbacks', initialize=False)
        cb.text = WEBSERVER_CALLBACKS
        cb.dock = self
        self.par.callbacks = cb

    # ---- parameters ----------------------------------------------------------------------------------
    def _par_changed(self, name, old, new):
        if name == 'active':
            if new and not old:
                self._start()
            elif old and not new:
                self._stop()
        elif name == 'restart' and new == 'pulse' and self.par.active.eval():
            self._stop()
            self._start()

    def _start(self):
        if self.running:
            return
        self.running = True
        self.starts += 1
        if self.link is not None:
            self.link.listen(self, self.par.port.eval())
        self._call('onServerStart')

    def _stop(self):
        if not self.running:
            return
        self.running = False
        self.stops += 1
        gone = list(self.clients)
        self.clients = {}
        self._pending = []
        if self.link is not None:
            self.link.unlisten(self)
        if self.world.variants['webserver_stop_closes']:
            for client in gone:
                self._call('onWebSocketClose', client)
        self._call('onServerStop')

    def close_silently(self):
        """The project closed (reopen) or the DAT was destroyed: no callbacks."""
        self.running = False
        self.clients = {}
        self._pending = []
        if self.link is not None:
            self.link.unlisten(self)

    def _on_destroy(self):
        self.close_silently()

    def _call(self, fn, *args):
        dat = self.par.callbacks.eval()
        if dat is not None and hasattr(dat, 'callback_module'):
            return self.world.call(dat, fn, self, *args)
        return None

    # ---- network events (tests and the bridge) ------------------------------------------------------------
    def queue(self, kind, client, data=None):
        if self.running:
            self._pending.append((kind, client, data))

    def deliver_pending(self):
        pending, self._pending = self._pending, []
        for kind, client, data in pending:
            self.deliver(kind, client, data)
        return len(pending)

    def deliver(self, kind, client, data=None):
        if not self.running:
            return
        if kind == 'open':
            self.clients[client] = data or '/'
            self._call('onWebSocketOpen', client, data or '/')
        elif kind == 'close':
            if self.clients.pop(client, None) is not None or data == 'script':
                self._call('onWebSocketClose', client)
        elif client not in self.clients:
            return   # data from a connection that is gone
        elif kind == 'text':
            self._call('onWebSocketReceiveText', client, data)
        elif kind == 'binary':
            self._call('onWebSocketReceiveBinary', client, bytes(data))
        elif kind == 'ping':
            self._call('onWebSocketReceivePing', client, bytes(data))
        elif kind == 'pong':
            self._call('onWebSocketReceivePong', client, bytes(data))

    def http(self, request):
        """One HTTP request, answered now: the response dict onHTTPRequest returned (a 500 when it failed)."""
        req = {'method': 'GET', 'uri': '/', 'pars': {}, 'clientAddress': '127.0.0.1:1', 'serverAddress': '127.0.0.1',
               'data': ''}
        req.update(request)
        response = {'statusCode': 404, 'statusReason': 'Not Found', 'data': ''}
        if not self.running:
            return None
        errors = len(self.world.errors)
        out = self._call('onHTTPRequest', req, response)
        if len(self.world.errors) != errors or not isinstance(out, dict):
            return {'statusCode': 500, 'statusReason': 'Internal Server Error', 'data': ''}
        return out

    # ---- members and methods (https://docs.derivative.ca/WebserverDAT_Class) ---------------------------------
    @property
    def webSocketConnections(self):
        return list(self.clients)

    def _send(self, client, kind, data):
        if not self.running or client not in self.clients:
            self.dropped_sends += 1
            return None
        if isinstance(data, str) or data is None:
            text = data if data is not None else ''
        else:
            text = bytes(data).decode('utf-8', 'replace')
        self.outbox.append({'client': client, 'kind': kind, 'data': text, 't': self.world.wall})
        if len(self.outbox) > 5000:
            del self.outbox[:2500]
        if self.link is not None:
            self.link.send(self, client, kind, data)
        return None

    def webSocketSendText(self, client, data):
        return self._send(client, 'text', str(data))

    def webSocketSendBinary(self, client, data):
        return self._send(client, 'binary', bytes(data))

    def webSocketSendPing(self, client, data=None):
        return self._send(client, 'ping', b'' if data is None else bytes(data))

    def webSocketSendPong(self, client, data=None):
        return self._send(client, 'pong', b'' if data is None else bytes(data))

    def webSocketClose(self, client):
        if client not in self.clients:
            return None
        del self.clients[client]
        self.outbox.append({'client': client, 'kind': 'close', 'data': '', 't': self.world.wall})
        if self.link is not None:
            self.link.close(self, client)
        if self.world.variants['webserver_close_callback']:
            self._pending.append(('close', client, 'script'))
        return None

    def authenticateBasic(self, token, userPasswords):
        import base64
        try:
            user, _, password = base64.b64decode(str(token).split()[-1]).decode('utf-8').partition(':')
        except Exception:
            return False
        return userPasswords.get(user) == password
