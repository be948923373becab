"""The query-protocol encoding of the override registry, checked against botocore's own client
side: a request serialised by botocore decodes to the parameters sent, and our XML answer parses
(botocore's QueryParser) back to the dict the handler returned."""

from __future__ import annotations

from urllib.parse import parse_qs

import botocore.session
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer

from localaws import protocols

MODEL = botocore.session.get_session().get_service_model("iam")


def _form(op: str, params: dict) -> dict[str, list[str]]:
    req = QuerySerializer().serialize_to_request(params, MODEL.operation_model(op))
    body = req["body"]
    if isinstance(body, dict):
        return {k: [str(v)] for k, v in body.items()}
    return parse_qs(body, keep_blank_values=True)


def test_request_serialised_by_botocore_decodes_to_the_parameters_sent() -> None:
    params = {"PolicySourceArn": "arn:aws:iam::123456789012:role/r",
              "ActionNames": ["s3:GetObject", "glue:GetTable"],
              "ResourceArns": ["arn:aws:s3:::b/k"],
              "ContextEntries": [{"ContextKeyName": "aws:SecureTransport",
                                  "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}],
              "MaxItems": 5}
    decoded = protocols.decode_query(MODEL.operation_model("SimulatePrincipalPolicy"),
                                     _form("SimulatePrincipalPolicy", params))
    assert decoded == params


def test_result_xml_parses_back_with_botocore() -> None:
    op = MODEL.operation_model("SimulatePrincipalPolicy")
    result = {"IsTruncated": False, "EvaluationResults": [
        {"EvalActionName": "s3:GetObject", "EvalResourceName": "*", "EvalDecision": "allowed",
         "MatchedStatements": [{"SourcePolicyId": "p<1>&", "SourcePolicyType": "IAM Policy"}],
         "MissingContextValues": []}]}
    xml = protocols.encode_query_result(MODEL, op, result)
    parsed = QueryParser().parse({"body": xml.encode(), "headers": {}, "status_code": 200},
                                 op.output_shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == result


def test_error_xml_parses_back_with_botocore() -> None:
    op = MODEL.operation_model("SimulatePrincipalPolicy")
    xml = protocols.encode_query_error(MODEL, "NoSuchEntity", "The principal x cannot be found.")
    parsed = QueryParser().parse({"body": xml.encode(), "headers": {}, "status_code": 404},
                                 op.output_shape)
    assert parsed["Error"]["Code"] == "NoSuchEntity"
    assert parsed["Error"]["Message"] == "The principal x cannot be found."
