"""CloudWatch Logs of the local AWS: ``FilterLogEvents`` with AWS's filter-pattern semantics and
the writer the Glue runtime logs through (:mod:`localaws.logs.events`). Importing the package
registers the override."""

from localaws.logs.events import FilterPattern, filter_log_events, parse_filter_pattern, put_log_events

__all__ = ["FilterPattern", "filter_log_events", "parse_filter_pattern", "put_log_events"]
