"""The environment Terraform runs in: provider mirror discovery and a CLI config of our own.

Users with internet access need nothing here. On offline machines the hashicorp/aws provider can
come from a *filesystem mirror* (a folder holding ``registry.terraform.io/hashicorp/aws/...``).
The mirror is a setting:

* ``LAKEGATE_TF_PROVIDER_MIRROR`` names the mirror root explicitly (empty string: use none);
* otherwise the first existing folder among :data:`WELL_KNOWN_MIRRORS` that holds
  ``registry.terraform.io/hashicorp/aws`` is used.

When a mirror is used we write our own CLI config (``provider_installation`` with the mirror for
hashicorp/aws and direct installation for everything else) and point ``TF_CLI_CONFIG_FILE`` at it,
because a user's ``TF_CLI_CONFIG_FILE`` may name a file that does not exist.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

MIRROR_ENV = "LAKEGATE_TF_PROVIDER_MIRROR"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

WELL_KNOWN_MIRRORS: tuple[str, ...] = (
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/terraform-plugins",
)


@dataclass(frozen=True)
class MirrorChoice:
    root: Path | None
    source: str  # "env", "well-known", "none"

    def describe(self) -> str:
        if self.root is None:
            return "provider mirror: none (providers are downloaded from the registry)"
        how = f"${MIRROR_ENV}" if self.source == "env" else "found in a well-known location"
        return f"provider mirror: {self.root} ({how})"


def _has_aws_provider(root: Path) -> bool:
    return (root / AWS_PROVIDER).is_dir()


def find_mirror(environ: dict[str, str] | None = None,
                candidates: tuple[str, ...] = WELL_KNOWN_MIRRORS) -> MirrorChoice:
    """Return the provider mirror to use (see the module docstring for the order)."""
    env = os.environ if environ is None else environ
    if MIRROR_ENV in env:
        value = env[MIRROR_ENV].strip()
        if not value:
            return MirrorChoice(None, "env")
        root = Path(value).expanduser()
        if not _has_aws_provider(root):
            from lakegate.errors import LakegateError

            fix = (f"point {MIRROR_ENV} at the folder that contains 'registry.terraform.io/', "
                   "or set it to an empty string to download providers from the registry")
            # a common slip: pointing at registry.terraform.io/ (or below) instead of its parent
            for parent in root.parents:
                if parent.name == "registry.terraform.io" and _has_aws_provider(parent.parent):
                    fix = f"use {parent.parent} (the folder that holds registry.terraform.io/)"
                    break
            if root.name == "registry.terraform.io" and _has_aws_provider(root.parent):
                fix = f"use {root.parent} (the folder that holds registry.terraform.io/)"
            raise LakegateError(
                f"the provider mirror {root} does not hold {AWS_PROVIDER}",
                where=f"${MIRROR_ENV}",
                fix=fix,
            )
        return MirrorChoice(root, "env")
    for cand in candidates:
        root = Path(cand).expanduser()
        if _has_aws_provider(root):
            return MirrorChoice(root, "well-known")
    return MirrorChoice(None, "none")


PLUGIN_CACHE_ENV = "LAKEGATE_TF_PLUGIN_CACHE"


def plugin_cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """Shared provider cache: ``$LAKEGATE_TF_PLUGIN_CACHE`` (empty: none), else
    ``$XDG_CACHE_HOME/lakegate/terraform-plugins`` (``~/.cache/...``).

    Why: every working copy's ``terraform init`` otherwise copies the ~700 MB AWS provider out of
    the mirror into its own ``.terraform/`` (disk, page cache and seconds per fresh copy — the
    tests make dozens); with the cache it is installed once and linked."""
    env = os.environ if environ is None else environ
    if PLUGIN_CACHE_ENV in env:
        value = env[PLUGIN_CACHE_ENV].strip()
        return Path(value).expanduser() if value else None
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lakegate" / "terraform-plugins"


def cli_config_text(mirror_root: Path, plugin_cache: Path | None | bool = True) -> str:
    """``plugin_cache``: a folder, None for no cache, True (default) for :func:`plugin_cache_dir`."""
    cache = plugin_cache_dir() if plugin_cache is True else plugin_cache
    head = ""
    if cache:
        # the lock file of a copy may lack this platform's hash; the copy's lock file is ours
        head = (f"plugin_cache_dir = {json.dumps(Path(cache).as_posix())}\n"
                "plugin_cache_may_break_dependency_lock_file = true\n")
    return head + (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(mirror_root.as_posix())}\n"
        f"    include = [\"{AWS_PROVIDER}\"]\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = [\"{AWS_PROVIDER}\"]\n"
        "  }\n"
        "}\n"
    )


def terraform_env(work_dir: Path, environ: dict[str, str] | None = None,
                  mirror: MirrorChoice | None = None) -> dict[str, str]:
    """Environment for running terraform: checkpoint off, no input, our CLI config if mirrored.

    ``work_dir`` is where the generated CLI config is written (e.g. ``.lakegate/`` of the
    Terraform directory).
    """
    env = dict(os.environ if environ is None else environ)
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    choice = mirror if mirror is not None else find_mirror(env)
    if choice.root is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        cfg = work_dir / "terraform-cli.tfrc"
        cache = plugin_cache_dir(env)
        if cache is not None:
            try:
                cache.mkdir(parents=True, exist_ok=True)
            except OSError:
                cache = None    # not writable: every copy installs its own provider, as before
        text = cli_config_text(choice.root, cache)
        if not cfg.exists() or cfg.read_text() != text:
            # atomic, with a unique temp name: concurrent runs (one per target, possibly threads
            # of one process) may write the same file at once
            fd, tmp = tempfile.mkstemp(prefix=f".{cfg.name}.", suffix=".tmp", dir=work_dir)
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(text)
                os.replace(tmp, cfg)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        env["TF_CLI_CONFIG_FILE"] = str(cfg)
    else:
        cfg_path = env.get("TF_CLI_CONFIG_FILE")
        if cfg_path and not Path(cfg_path).exists():
            # A config file that does not exist only produces warnings; drop it.
            env.pop("TF_CLI_CONFIG_FILE")
    return env
