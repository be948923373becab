"""Glue behaviour of the local AWS: crawlers that crawl, jobs that run the job SQL, bookmarks,
workflows that walk the trigger graph. Importing the package registers every handler."""

from localaws.glue import bookmarks, crawler, definitions, jobs, workflows  # noqa: F401  (registers handlers)
