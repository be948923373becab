"""lakegate's local stand-in for AWS Glue's ``awsglue`` library (see docs/spark-runtime.md).

Only ``awsglue.utils`` works without PySpark (Python shell jobs import it)."""


def __getattr__(name):  # DynamicFrame is importable from the package, as on Glue
    if name == "DynamicFrame":
        from awsglue.dynamicframe import DynamicFrame

        return DynamicFrame
    raise AttributeError(name)
