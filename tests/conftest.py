import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DO_NOT_TRACK", "1")

from tests.smtp_server import certificate, smtp_server  # noqa: E402, F401 - fixtures
