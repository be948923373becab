"""Root pytest configuration of the repository.

* The runbook scenarios ship in the package (``lakegate/scenarios``); their pytest plugin (options
  ``--lakegate-env`` …, ordering, evidence records) is loaded here for runs from a checkout, and by
  ``lakegate smoke`` with ``-p lakegate.scenarios.plugin`` from an installed wheel.
* ``tests._ci_skips``: under ``CI=true`` a test that skips because a tool it needs is missing (the
  ``aws`` CLI, terraform, check-jsonschema, …) fails instead.
* ``tests._cpu_profile``: with ``LAKEGATE_TEST_CPU_LOG=FILE``, CPU seconds per test phase (off
  otherwise; nothing about the tests changes).
"""

pytest_plugins = ["lakegate.scenarios.plugin", "tests._ci_skips", "tests._cpu_profile"]
