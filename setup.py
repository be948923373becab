"""Build hook: ship the reference pipeline (``terraform/``, its job scripts and SQL) in the wheel.

Everything else is declared in ``pyproject.toml``. setuptools only packages files that live inside
a package, and ``terraform/`` sits at the top of the repository (where Terraform users expect it),
so ``build_py`` copies it to ``lakegate/reference/terraform`` in the build tree. At run time
:func:`lakegate.resources.reference_tf_dir` prefers a checkout's ``terraform/`` and falls back to
this copy, so ``lakegate smoke --env local`` and ``lakegate deploy`` work from a plain wheel install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SKIP = {".terraform", "terraform.tfstate", "terraform.tfstate.backup", "terraform.tfstate.d"}


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIP or n.endswith((".tfstate", ".tfplan", "_override.tf", ".pyc"))
            or n == "__pycache__"}


class BuildWithReference(build_py):
    def run(self) -> None:
        super().run()
        src = ROOT / "terraform"
        if not (src / "outputs.tf").is_file():
            raise SystemExit(f"cannot build lakegate: the reference pipeline {src} is missing")
        dest = Path(self.build_lib) / "lakegate" / "reference" / "terraform"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=_ignore)


setup(cmdclass={"build_py": BuildWithReference})
