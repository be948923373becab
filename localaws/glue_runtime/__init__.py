"""What runs inside a Glue script's subprocess (see :mod:`localaws.glue.script_runtime`).

* :mod:`.driver` — the subprocess entry point: downloads the script, installs
  ``--additional-python-modules``, builds Glue's ``sys.argv``, runs the script, reports back;
* :mod:`.lgio` — S3 and catalog I/O through the local AWS endpoint (boto3);
* :mod:`.sparkio` — Spark reads/writes on top of it, and the ``spark.read``/``df.write`` patch;
* ``pylib/awsglue`` — the ``awsglue`` compatibility package put on the script's ``sys.path``.
"""
