"""Fixtures shared by the integration tests live in tests/conftest.py."""
