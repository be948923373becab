"""Amazon Athena errors the local AWS answers with, as classes (AWS's error code and HTTP status).

Source: https://docs.aws.amazon.com/athena/latest/APIReference/CommonErrors.html and each action's "Errors" section of the Athena API reference; each handler declares the ones it raises
(``@override(service, operation, errors=(...))``) and tests/localaws_contract checks them
against botocore's model of the operation.
"""

from __future__ import annotations

from localaws.dispatch import AwsError


class AthenaError(AwsError):
    """Base of Amazon Athena's errors."""


class InvalidRequestException(AthenaError):
    """Something is wrong with the request (a required parameter missing or a value out of range)."""

    code, status = "InvalidRequestException", 400


class ResourceNotFoundException(AthenaError):
    """A resource, such as a workgroup, was not found."""

    code, status = "ResourceNotFoundException", 400


class InternalServerException(AthenaError):
    """An internal server error occurred."""

    code, status = "InternalServerException", 500
