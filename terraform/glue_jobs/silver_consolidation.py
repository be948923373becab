"""Glue job silver_consolidation: flatten new bronze records into silver, one row per car per event day.

The transformation is the Spark SQL file passed as --sql_path (silver_consolidation.sql, uploaded next to
this script); the driver that reads its "-- lakegate:" header, reads the inputs, runs it and writes
the output is the shared module lakegate_glue_job.py, shipped to the job with --extra-py-files.
Arguments read are all in the job's default_arguments (docs/DESIGN.md, "Job arguments"); JOB_NAME
is passed by Glue itself.
"""

from lakegate_glue_job import run

# Job arguments this script reads (besides JOB_NAME), through run()'s getResolvedOptions.
JOB_ARGUMENTS = ["database_name", "sql_path", "bronze_table", "silver_path"]

if __name__ == "__main__":
    run(JOB_ARGUMENTS)
