"""Resolve ``--env NAME`` into what every runbook command needs: the environment, boto3 clients
and the pipeline names (from Terraform outputs — never hard-coded).

Where the names come from, first match wins:
1. the environment's ``outputs`` file (``lakegate.toml``);
2. for the local environment, ``outputs.json`` next to the local state file (written by
   ``lakegate deploy``);
3. ``terraform output`` through the driver, for the environment's Terraform directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakegate.envconfig import Clients, Environment, get_environment
from lakegate.errors import LakegateError
from lakegate.names import PipelineNames

@dataclass
class Context:
    env: Environment
    clients: Any
    names: PipelineNames


def local_outputs_path() -> Path:
    from lakegate import localenv

    return localenv.state_path().parent / "outputs.json"


def load_names(env: Environment) -> PipelineNames:
    if env.outputs is not None:
        return PipelineNames.from_file(env.outputs)
    if env.is_local:
        path = local_outputs_path()
        if path.exists():
            return PipelineNames.from_file(path)
        raise LakegateError("the local AWS has no deployed pipeline", where=str(path),
                            fix="run `lakegate local up` and `lakegate deploy --target local` first "
                                "(or `lakegate smoke`, which does both)")
    from lakegate.terraform import TerraformDriver

    try:
        outputs = TerraformDriver(env.terraform_dir(), target="aws", region=env.resolved_region()).outputs()
    except LakegateError as err:
        raise LakegateError(f"cannot read the Terraform outputs of environment {env.name}: {err.what}",
                            where=str(env.terraform_dir()),
                            fix=f"set outputs = \"<file>\" in [environments.{env.name}] "
                                "(the output of `terraform output -json`)") from None
    return PipelineNames.from_outputs(outputs, source=f"terraform output ({env.terraform_dir()})")


def resolve(env_name: str) -> Context:
    env = get_environment(env_name)
    names = load_names(env)
    return Context(env=env, clients=Clients(env), names=names)
