"""A deadline on everything an HTTP source sends, response headers included.

A socket timeout bounds each read, not their sum: a server that sends its headers a byte
at a time, each byte within the read timeout, would hold a request (and the warehouse the
extract has open) for weeks. Here every connection's socket is shut down when the
deadline passes, which ends a blocked read at once, and no connection opens after it.
"""

import socket
import threading
import time
import weakref

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import Retry, Timeout


class DeadlinePassed(Exception):
    """A connection was to be opened after the deadline (not an OSError, so that urllib3
    does not retry it)."""


class Deadline:
    """Shuts the sockets of its pool manager's connections at `ends` (time.monotonic())."""

    def __init__(self, ends: float):
        self.ends = ends
        self._sockets: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._passed = False
        self._timer = threading.Timer(max(0.0, ends - time.monotonic()), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    @property
    def passed(self) -> bool:
        return self._passed or time.monotonic() > self.ends

    def pool_manager(self, timeout: Timeout, retries: Retry) -> urllib3.PoolManager:
        http = urllib3.PoolManager(timeout=timeout, retries=retries)
        http.pool_classes_by_scheme = {
            "http": self._pool(HTTPConnectionPool, HTTPConnection),
            "https": self._pool(HTTPSConnectionPool, HTTPSConnection),
        }
        return http

    def _pool(self, pool: type, connection: type) -> type:
        deadline = self

        class Watched(connection):
            def connect(self) -> None:
                if deadline.passed:
                    raise DeadlinePassed
                super().connect()
                deadline._watch(self.sock)

        return type(pool.__name__, (pool,), {"ConnectionCls": Watched})

    def _watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            if self._passed:  # the timer fired while this one connected
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._passed = True
            for sock in list(self._sockets):
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # closed already
        pass
