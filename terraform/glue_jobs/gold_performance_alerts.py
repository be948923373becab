"""Glue job gold_performance_alerts: engine/oil overheat and speeding alerts from new silver rows.

The transformation is the Spark SQL file passed as --sql_path (gold_performance_alerts.sql, uploaded next to
this script); the driver that reads its "-- lakegate:" header, reads the inputs, runs it and writes
the output is the shared module lakegate_glue_job.py, shipped to the job with --extra-py-files.
Arguments read are all in the job's default_arguments (docs/DESIGN.md, "Job arguments"); JOB_NAME
is passed by Glue itself.
"""

from lakegate_glue_job import run

# Job arguments this script reads (besides JOB_NAME), through run()'s getResolvedOptions.
JOB_ARGUMENTS = ["database_name", "sql_path", "silver_table", "alerts_path",
                 "engine_temp_limit", "oil_temp_limit", "speed_limit"]

if __name__ == "__main__":
    run(JOB_ARGUMENTS)
