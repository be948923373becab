"""Fixtures for tests/jobs."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture
def con():
    """A fresh in-memory DuckDB connection."""
    connection = duckdb.connect()
    yield connection
    connection.close()
