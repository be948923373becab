"""The runbook as executable scenarios, shipped in the wheel.

``features/`` holds the Gherkin (one scenario per checklist item), ``steps/`` the pytest-bdd step
definitions, ``plugin`` the pytest plugin (options, ordering, evidence records) that
``lakegate smoke`` loads with ``-p lakegate.scenarios.plugin``. Nothing here depends on a
checkout: :func:`lakegate.resources` finds the reference pipeline in the package when there is
no repository around it.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
FEATURES = HERE / "features"
STEPS = HERE / "steps"
INI = HERE / "scenarios.ini"
PLUGIN = "lakegate.scenarios.plugin"
