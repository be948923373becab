"""Script understanding: what a Glue job's script reads (arguments) and reads/writes (data).

* :mod:`tf_checks.scripts.analyze` -- the static I/O analysis of Python scripts (``ast``);
* :mod:`tf_checks.scripts.args` -- which job arguments a script reads (LG-CONS-004/006);
* :mod:`tf_checks.scripts.jobio` -- :func:`job_io`, the Job I/O contract (DESIGN.md);
* :mod:`tf_checks.scripts.libraries` -- the modules each Glue version provides.
"""

from tf_checks.scripts.args import GLUE_RUNTIME_MODULES, ScriptInfo, extra_py_files, parse_script
from tf_checks.scripts.jobio import (GLUE_PROVIDED_ARGS, JobDeclaration, JobIO, job_io,
                                     load_declarations)
from tf_checks.scripts.libraries import provided_check, provided_modules

__all__ = ["GLUE_PROVIDED_ARGS", "GLUE_RUNTIME_MODULES", "JobDeclaration", "JobIO", "ScriptInfo",
           "extra_py_files", "job_io", "load_declarations", "parse_script", "provided_check",
           "provided_modules"]
