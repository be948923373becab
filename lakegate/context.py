"""Resolve ``--env NAME`` into what every runbook command needs: the environment, boto3 clients
and the pipeline names (from Terraform outputs or the deployed workflow — never hard-coded).

Where the outputs come from, first match wins:
1. the environment's ``outputs`` file (``lakegate.toml``);
2. for the local environment, ``outputs.json`` next to the local state file (written by
   ``lakegate deploy``);
3. ``terraform output`` through the driver, for the environment's Terraform directory.
When they do not name every role (a user's pipeline), the names are discovered from the deployed
workflow (:func:`lakegate.names.discover`), the outputs overriding what they do give.
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


def load_names(env: Environment, clients: Any = None) -> PipelineNames:
    """The outputs when they name every role; otherwise (a user's pipeline) discovery from the
    deployed workflow through ``clients``, with whatever outputs there are overriding."""
    from lakegate.names import names_for, read_outputs

    outputs: dict[str, Any] | None = None
    source = "terraform outputs"
    if env.outputs is not None:
        outputs, source = read_outputs(env.outputs), str(env.outputs)
    elif env.is_local:
        path = local_outputs_path()
        if not path.exists():
            raise LakegateError("the local AWS has no deployed pipeline", where=str(path),
                                fix="run `lakegate local up` and `lakegate deploy --target local` first "
                                    "(or `lakegate smoke`, which does both)")
        outputs, source = read_outputs(path), str(path)
    else:
        from lakegate.terraform import TerraformDriver

        try:
            outputs = TerraformDriver(env.terraform_dir(), target="aws", region=env.resolved_region()).outputs()
            source = f"terraform output ({env.terraform_dir()})"
        except LakegateError as err:
            if clients is None:
                raise LakegateError(f"cannot read the Terraform outputs of environment {env.name}: {err.what}",
                                    where=str(env.terraform_dir()),
                                    fix=f"set outputs = \"<file>\" in [environments.{env.name}] "
                                        "(the output of `terraform output -json`)") from None
            outputs = None     # discovery from the deployed workflow alone
    if clients is None:
        return PipelineNames.from_outputs(outputs or {}, source=source)
    return names_for(outputs, clients, workflow=env.workflow, source=source)


def resolve(env_name: str) -> Context:
    env = get_environment(env_name)
    clients = Clients(env)
    names = load_names(env, clients)
    return Context(env=env, clients=clients, names=names)
