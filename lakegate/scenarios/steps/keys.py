"""Stash keys shared by the root conftest and the step plugins (one module, one key object)."""

import pytest

REPORT_DIR_KEY = pytest.StashKey[object]()
EVIDENCE_KEY = pytest.StashKey[dict]()
SCENARIO_KEY = pytest.StashKey[tuple]()  # (feature name, scenario name)
