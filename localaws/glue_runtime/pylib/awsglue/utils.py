"""``getResolvedOptions``: the job's arguments as Glue passes them (``--KEY value``), including
Glue's special parameters (JOB_NAME, JOB_ID, JOB_RUN_ID, TempDir, job-bookmark-option...)."""

from __future__ import annotations

import argparse
import sys

# Glue's own parameters: always in the result (None when not passed), never required.
_SPECIAL = ("JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION", "encryption_type", "TempDir",
            "RedshiftTempDir", "job_bookmark_option", "job_bookmark_from", "job_bookmark_to",
            "continuation_option")
_BOOKMARK_CHOICES = ("job-bookmark-enable", "job-bookmark-disable", "job-bookmark-pause")


class GlueArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # Glue raises instead of printing usage and exiting 2
        raise GlueArgumentError(message)


def getResolvedOptions(args, options):
    """The values of ``options`` (names without ``--``) from ``args`` (``sys.argv``)."""
    parser = _Parser(allow_abbrev=False, add_help=False)
    reserved = {"job_bookmark_option", "continuation_option", "job_bookmark_from", "job_bookmark_to"}
    bad = [o for o in options if o in reserved]
    if bad:
        raise RuntimeError(f"Using reserved arguments {', '.join('--' + b for b in bad)}")
    parser.add_argument("--job-bookmark-option", dest="job_bookmark_option", choices=_BOOKMARK_CHOICES, required=False)
    parser.add_argument("--continuation-option", dest="continuation_option", required=False)
    parser.add_argument("--job-bookmark-from", dest="job_bookmark_from", required=False)
    parser.add_argument("--job-bookmark-to", dest="job_bookmark_to", required=False)
    for special in ("JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION", "encryption_type", "TempDir", "RedshiftTempDir"):
        if special not in options:
            parser.add_argument("--" + special, dest=special, required=False)
    for opt in options:
        parser.add_argument("--" + opt, dest=opt, required=True)
    parsed, _unknown = parser.parse_known_args(list(args[1:]))
    return vars(parsed)


__all__ = ["getResolvedOptions", "GlueArgumentError"]
