"""Amazon CloudWatch Logs errors the local AWS answers with, as classes (AWS's error code and HTTP status).

Source: each action's "Errors" section of the CloudWatch Logs API reference (e.g. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html); each handler declares the ones it raises
(``@override(service, operation, errors=(...))``) and tests/localaws_contract checks them
against botocore's model of the operation.
"""

from __future__ import annotations

from localaws.dispatch import AwsError


class LogsError(AwsError):
    """Base of Amazon CloudWatch Logs's errors."""


class InvalidParameterException(LogsError):
    """A parameter is specified incorrectly."""

    code, status = "InvalidParameterException", 400


class ResourceNotFoundException(LogsError):
    """The specified resource does not exist."""

    code, status = "ResourceNotFoundException", 400
