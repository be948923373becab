"""Athena of the local AWS: queries that run (:mod:`localaws.athena.queries`: Trino SQL on DuckDB
over the Glue catalog's S3 data) and work groups/tags as Terraform manages them
(:mod:`localaws.athena.workgroups`). Importing the package registers every handler.

``Query`` and ``QueryError`` are re-exported here: snapshots made before the split pickled them
as ``localaws.athena.Query``."""

from localaws.athena import queries, workgroups  # noqa: F401  (registers handlers)
from localaws.athena.queries import (  # noqa: F401
    QueryError,
    Query,
    parse,
    plan_tables,
    athena_type,
    render,
    render_inner,
    execute,
    to_csv,
    describe,
    start_query_execution,
    get_query_execution,
    batch_get_query_execution,
    get_query_results,
    stop_query_execution,
    list_query_executions,
)
