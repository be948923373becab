"""AWS IAM errors the local AWS answers with, as classes (AWS's error code and HTTP status).

Source: https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html ("Errors"); the query protocol sends the short code (``NoSuchEntity``), botocore names the shape ``NoSuchEntityException``; each handler declares the ones it raises
(``@override(service, operation, errors=(...))``) and tests/localaws_contract checks them
against botocore's model of the operation.
"""

from __future__ import annotations

from localaws.dispatch import AwsError


class IamError(AwsError):
    """Base of AWS IAM's errors."""


class InvalidInputException(IamError):
    """The request was rejected because an invalid or out-of-range value was supplied for an input parameter."""

    code, status = "InvalidInput", 400


class NoSuchEntityException(IamError):
    """The request was rejected because it referenced a resource entity that does not exist."""

    code, status = "NoSuchEntity", 404
