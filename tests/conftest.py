"""Shared fixtures: the fake and the offline LFW caches (conftest_lfw.py) and a blocked network."""

from __future__ import annotations

import socket
import time

import pytest

from conftest_lfw import fake_lfw, shared_lfw_data_home, shared_lfw_data_home_for_module  # noqa: F401  (fixtures)


@pytest.fixture
def no_network(monkeypatch):
    """Every connection attempt fails as it does offline; scikit-learn's retry pauses are skipped."""

    def refuse(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (network blocked by the test)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)


def pytest_collection_modifyitems(config, items):
    """Everything under tests/integration/ starts real processes: marked slow (`-m "not slow"` skips it)."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.slow)
