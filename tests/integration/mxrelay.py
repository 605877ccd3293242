"""A counting TCP relay for the integration tests: it sits in front of
servers (Postfix, Exim, mxtestsrv) on loopback addresses, forwards bytes both
ways unchanged, and counts how many client connections are open at once per
listening address.  That is the servers' view of mxprobe's per-host cap:
every connection mxprobe opens is accepted here at once (no listen backlog
hides it), so `peak(addr)` is the most connections a server on that address
would have had at the same time.

    hub = mxrelay.Hub()
    target = hub.relay("127.0.9.1", backend_port=25)   # "127.0.9.1:PORT"
    hub.start()
    ... mxprobe check target ...
    hub.peak("127.0.9.1"); hub.stop()

One thread runs every relay of a hub with one selector, and in each round
handles the bytes and ends of open connections before it accepts new ones,
reading each socket until it would block: a connection the client closed
before opening the next one is never counted together with it (a thread
per connection would count late closes as overlaps).  A backend that resets
its connection (mxtestsrv's "reset") is passed on as a reset (SO_LINGER 0).
"""

import contextlib
import selectors
import socket
import struct
import threading


def _reset(sock):
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _Pair:
    def __init__(self, addr, client, server):
        self.addr = addr
        self.client = client
        self.server = server
        self.closed = False


class Hub:
    def __init__(self):
        self._sel = selectors.DefaultSelector()
        self._listeners = {}        # socket -> (addr, backend)
        self._open = {}
        self._peak = {}
        self.total = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def relay(self, host, backend_port, backend_host=None):
        """Listens on (host, a free port) and forwards to the backend;
        returns the target "host:port"."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 0))
        s.listen(256)
        s.setblocking(False)
        self._listeners[s] = (host, (backend_host or host, backend_port))
        self._sel.register(s, selectors.EVENT_READ, None)
        return "%s:%d" % (host, s.getsockname()[1])

    def start(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def peak(self, addr):
        with self._lock:
            return self._peak.get(addr, 0)

    def peaks(self):
        with self._lock:
            return dict(self._peak)

    def _accept(self, lsock):
        addr, backend = self._listeners[lsock]
        while True:
            try:
                client, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            with self._lock:
                n = self._open.get(addr, 0) + 1
                self._open[addr] = n
                self._peak[addr] = max(self._peak.get(addr, 0), n)
                self.total[addr] = self.total.get(addr, 0) + 1
            try:
                server = socket.create_connection(backend, timeout=5)
                # Blocking mode: a socket with a timeout would wait for data
                # inside recv(), MSG_DONTWAIT or not.
                server.settimeout(None)
                client.settimeout(None)
            except OSError:
                _reset(client)
                client.close()
                self._leave(addr)
                continue
            pair = _Pair(addr, client, server)
            self._sel.register(client, selectors.EVENT_READ, pair)
            self._sel.register(server, selectors.EVENT_READ, pair)

    def _leave(self, addr):
        with self._lock:
            self._open[addr] -= 1

    def _close(self, pair, reset_client=False):
        if pair.closed:
            return
        pair.closed = True
        for s in (pair.client, pair.server):
            with contextlib.suppress(Exception):
                self._sel.unregister(s)
        if reset_client:
            _reset(pair.client)
        for s in (pair.client, pair.server):
            with contextlib.suppress(OSError):
                s.close()
        self._leave(pair.addr)

    def _pump(self, sock, pair):
        """Moves everything sock has to its peer; ends the pair on EOF."""
        peer = pair.server if sock is pair.client else pair.client
        while not pair.closed:
            try:
                data = sock.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionResetError:
                self._close(pair, reset_client=sock is pair.server)
                return
            except OSError:
                self._close(pair)
                return
            if not data:
                self._close(pair)
                return
            try:
                peer.sendall(data)
            except OSError:
                self._close(pair)
                return

    def _loop(self):
        while not self._stop.is_set():
            events = self._sel.select(timeout=0.1)
            # Ends and bytes first, then new connections.
            for key, _ in events:
                if key.data is not None:
                    self._pump(key.fileobj, key.data)
            for key, _ in events:
                if key.data is None:
                    self._accept(key.fileobj)

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for key in list(self._sel.get_map().values()):
            with contextlib.suppress(OSError):
                key.fileobj.close()
        self._sel.close()
