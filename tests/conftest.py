"""Shared fixtures: the fake and the offline LFW caches live in conftest_lfw.py."""

from conftest_lfw import fake_lfw, shared_lfw_data_home  # noqa: F401  (fixtures)
