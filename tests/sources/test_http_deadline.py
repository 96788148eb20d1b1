"""The HTTP deadline (sources/http_deadline.py) on both schemes' connections."""

import contextlib
import socket
import threading
import time

import pytest
import urllib3
from urllib3.util import Retry, Timeout

from sources.http_deadline import Deadline, DeadlinePassed


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_no_connection_opens_after_the_deadline(scheme):
    # Port 9 of this machine: nothing is tried on the network once the deadline passed.
    with Deadline(time.monotonic() - 1) as watch:
        http = watch.pool_manager(Timeout(connect=1, read=1), Retry(total=2))
        with pytest.raises(DeadlinePassed):
            http.request("GET", f"{scheme}://127.0.0.1:9/")


def test_a_tls_handshake_dripped_a_byte_at_a_time_ends_at_the_connect_timeout():
    """The watchdog sees a socket only after its handshake; CPython bounds the whole
    handshake by the socket's timeout (the connect timeout), not each read: a server
    answering the client's hello with a handshake record announced 16 KB long, then a
    byte every 0.2 s for 20 s, is given up after the 1 s here (10 s in production)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def drip():
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)  # the client's hello
            connection.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16,384 bytes
            for _ in range(100):
                if stop.wait(0.2):
                    return
                with contextlib.suppress(OSError):
                    connection.sendall(b"\x00")

    server = threading.Thread(target=drip, daemon=True)
    server.start()
    started = time.monotonic()
    try:
        with Deadline(started + 60) as watch:
            http = watch.pool_manager(Timeout(connect=1, read=30), Retry(total=0))
            with pytest.raises(urllib3.exceptions.MaxRetryError, match="Read timed out"):
                http.request("GET", f"https://127.0.0.1:{port}/")
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        server.join()
        listener.close()
