"""Where the run-time pieces that are not Python modules live: the scenarios and the reference
pipeline.

A checkout (editable install) uses its own ``terraform/``; a wheel carries a copy in
``lakegate/reference/terraform`` (``setup.py`` puts it there at build time). A missing piece is
unusable input (exit 2) with what is missing, where it was looked for and how to fix it — never a
NO-GO.
"""

from __future__ import annotations

from pathlib import Path

from lakegate.errors import LakegateError

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent                          # the repository root in an editable install
PACKAGED_TF = PACKAGE / "reference" / "terraform"  # the wheel's copy


def _is_pipeline(path: Path) -> bool:
    return (path / "outputs.tf").is_file() and (path / "glue_jobs").is_dir()


def reference_tf_dir() -> Path:
    """The reference pipeline (``terraform/``): the checkout's, else the copy shipped in the wheel."""
    for cand in (CHECKOUT / "terraform", PACKAGED_TF):
        if _is_pipeline(cand):
            return cand
    raise LakegateError("the reference pipeline (terraform/) is not installed",
                        where=f"{CHECKOUT / 'terraform'} or {PACKAGED_TF}",
                        fix="reinstall lakegate from a wheel built with `python -m build` (it ships the "
                            "pipeline), or pass the Terraform directory explicitly (tf_dir in lakegate.toml)")


def scenarios() -> tuple[Path, Path]:
    """(the steps folder pytest collects, the pytest configuration file) of the shipped scenarios."""
    from lakegate import scenarios as pkg

    missing = [p.name for p in (pkg.FEATURES, pkg.STEPS, pkg.INI) if not p.exists()]
    if not missing and not any(pkg.FEATURES.glob("*.feature")):
        missing.append("features/*.feature")
    if missing:
        raise LakegateError(f"the runbook scenarios are incomplete ({', '.join(missing)} missing)",
                            where=str(pkg.HERE),
                            fix="reinstall lakegate (pip install --force-reinstall lakegate); the wheel ships "
                                "lakegate/scenarios/ with its features and steps")
    return pkg.STEPS, pkg.INI


def require_runtime() -> None:
    """pytest and pytest-bdd run the scenarios; both are runtime dependencies of lakegate."""
    import importlib.util

    missing = [m for m in ("pytest", "pytest_bdd") if importlib.util.find_spec(m) is None]
    if missing:
        raise LakegateError(f"{' and '.join(missing)} not installed: the runbook scenarios cannot run",
                            where="the Python environment of lakegate",
                            fix="pip install 'pytest>=9.2,<10' 'pytest-bdd>=9.0.1,<10' (both are dependencies of "
                                "lakegate; reinstall it with pip to get them)")
