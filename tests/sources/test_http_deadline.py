"""The HTTP deadline (sources/http_deadline.py) on both schemes' connections."""

import time

import pytest
from urllib3.util import Retry, Timeout

from sources.http_deadline import Deadline, DeadlinePassed


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_no_connection_opens_after_the_deadline(scheme):
    # Port 9 of this machine: nothing is tried on the network once the deadline passed.
    with Deadline(time.monotonic() - 1) as watch:
        http = watch.pool_manager(Timeout(connect=1, read=1), Retry(total=2))
        with pytest.raises(DeadlinePassed):
            http.request("GET", f"{scheme}://127.0.0.1:9/")
