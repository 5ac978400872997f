"""Fixtures for convert/ tests; helpers live in convert_testlib.py (this folder is put on sys.path)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from convert_testlib import LoopbackServer  # noqa: E402


@pytest.fixture
def loopback():
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on a port nothing listens on (connection refused, as on an offline machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ch_ppocr_mobile_v2.0_cls_infer.tar"


