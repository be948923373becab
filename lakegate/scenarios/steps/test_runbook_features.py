"""Collect every scenario under features/ (one pytest test per scenario)."""

from pytest_bdd import scenarios

scenarios("../features")
