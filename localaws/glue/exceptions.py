"""AWS Glue errors the local AWS answers with, as classes (AWS's error code and HTTP status).

Source: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-exceptions.html; each handler declares the ones it raises
(``@override(service, operation, errors=(...))``) and tests/localaws_contract checks them
against botocore's model of the operation.
"""

from __future__ import annotations

from localaws.dispatch import AwsError


class GlueError(AwsError):
    """Base of AWS Glue's errors."""


class EntityNotFoundException(GlueError):
    """A specified entity does not exist."""

    code, status = "EntityNotFoundException", 400


class InvalidInputException(GlueError):
    """The input provided was not valid."""

    code, status = "InvalidInputException", 400


class CrawlerRunningException(GlueError):
    """The operation cannot be performed because the crawler is already running."""

    code, status = "CrawlerRunningException", 400


class CrawlerNotRunningException(GlueError):
    """The specified crawler is not running."""

    code, status = "CrawlerNotRunningException", 400


class CrawlerStoppingException(GlueError):
    """The specified crawler is stopping."""

    code, status = "CrawlerStoppingException", 400


class ConcurrentRunsExceededException(GlueError):
    """Too many jobs are being run concurrently."""

    code, status = "ConcurrentRunsExceededException", 400


class IllegalWorkflowStateException(GlueError):
    """The workflow is in an invalid state to perform a requested operation."""

    code, status = "IllegalWorkflowStateException", 400
