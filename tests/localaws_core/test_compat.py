"""What Terraform needs and moto lacks: updates, workgroup tags, versioned bucket delete, policies."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError


def test_update_job_replaces_definition(aws, uid: str) -> None:
    glue = aws("glue")
    name = f"job-{uid}"
    glue.create_job(Name=name, Role="arn:aws:iam::123456789012:role/r", Command={
        "Name": "glueetl", "ScriptLocation": "s3://b/a.py"}, DefaultArguments={"--a": "1"},
        Timeout=60, MaxRetries=2, GlueVersion="4.0")
    assert glue.update_job(JobName=name, JobUpdate={
        "Role": "arn:aws:iam::123456789012:role/r2",
        "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/b.py"},
        "DefaultArguments": {"--b": "2"}, "Timeout": 30})["JobName"] == name
    job = glue.get_job(JobName=name)["Job"]
    assert job["Role"].endswith("role/r2") and job["Command"]["ScriptLocation"] == "s3://b/b.py"
    assert job["DefaultArguments"] == {"--b": "2"} and job["Timeout"] == 30
    assert job.get("MaxRetries", 0) == 0  # unspecified → reset, as AWS documents
    with pytest.raises(ClientError) as err:
        glue.update_job(JobName=f"ghost-{uid}", JobUpdate={"Role": "r", "Command": {"Name": "x"}})
    assert err.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_update_crawler_changes_given_fields(aws, uid: str) -> None:
    glue = aws("glue")
    db = f"db-{uid}"
    glue.create_database(DatabaseInput={"Name": db})
    name = f"cr-{uid}"
    glue.create_crawler(Name=name, Role="r", DatabaseName=db, TablePrefix="bronze_",
                        Targets={"S3Targets": [{"Path": "s3://b/x/"}]})
    glue.update_crawler(Name=name, Targets={"S3Targets": [{"Path": "s3://b/y/"}]},
                        Configuration='{"Version":1.0}')
    c = glue.get_crawler(Name=name)["Crawler"]
    assert c["Targets"]["S3Targets"][0]["Path"] == "s3://b/y/"
    assert c["TablePrefix"] == "bronze_" and c["Configuration"] == '{"Version":1.0}'
    assert c["Version"] == 2
    with pytest.raises(ClientError) as err:
        glue.update_crawler(Name=f"ghost-{uid}", Role="r")
    assert err.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_update_trigger(aws, uid: str) -> None:
    glue = aws("glue")
    for j in ("a", "b"):
        glue.create_job(Name=f"{j}-{uid}", Role="r", Command={"Name": "glueetl"})
    name = f"tr-{uid}"
    glue.create_trigger(Name=name, Type="CONDITIONAL", Actions=[{"JobName": f"b-{uid}"}],
                        Predicate={"Logical": "AND", "Conditions": [{"LogicalOperator": "EQUALS", "JobName": f"a-{uid}",
                                                   "State": "SUCCEEDED"}]})
    out = glue.update_trigger(Name=name, TriggerUpdate={
        "Description": "changed", "Actions": [{"JobName": f"a-{uid}", "Arguments": {"--x": "1"}}]})
    assert out["Trigger"]["Description"] == "changed"
    t = glue.get_trigger(Name=name)["Trigger"]
    assert t["Actions"] == [{"JobName": f"a-{uid}", "Arguments": {"--x": "1"}}]
    assert t["Predicate"]["Conditions"][0]["State"] == "SUCCEEDED"


def test_update_workgroup_and_tags(aws, uid: str) -> None:
    athena = aws("athena")
    wg = f"wg-{uid}"
    athena.create_work_group(Name=wg, Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://r/one/"}})  # created WITHOUT tags
    arn = f"arn:aws:athena:us-east-1:123456789012:workgroup/{wg}"
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    athena.tag_resource(ResourceARN=arn, Tags=[{"Key": "Env", "Value": "dev"}, {"Key": "T", "Value": "1"}])
    athena.untag_resource(ResourceARN=arn, TagKeys=["T"])
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Env", "Value": "dev"}]
    athena.update_work_group(WorkGroup=wg, Description="d", ConfigurationUpdates={
        "EnforceWorkGroupConfiguration": True, "PublishCloudWatchMetricsEnabled": True,
        "ResultConfigurationUpdates": {"OutputLocation": "s3://r/two/"}})
    got = athena.get_work_group(WorkGroup=wg)["WorkGroup"]
    assert got["Description"] == "d"
    assert got["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://r/two/"
    assert got["Configuration"]["PublishCloudWatchMetricsEnabled"] is True
    with pytest.raises(ClientError, match="not found"):
        athena.update_work_group(WorkGroup=f"ghost-{uid}", Description="x")
    with pytest.raises(ClientError) as err:
        athena.list_tags_for_resource(ResourceARN=arn.replace(wg, f"ghost-{uid}"))
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_versioned_bucket_can_be_emptied_and_deleted(aws, uid: str) -> None:
    s3 = aws("s3")
    b = f"ver-{uid}"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=b, Key="k", Body=b"1")
    s3.put_object(Bucket=b, Key="k", Body=b"2")
    s3.delete_object(Bucket=b, Key="k")  # creates a delete marker
    versions = s3.list_object_versions(Bucket=b)
    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    assert len(objs) == 3
    out = s3.delete_objects(Bucket=b, Delete={"Objects": objs})
    assert not out.get("Errors")
    s3.delete_bucket(Bucket=b)
    assert b not in [x["Name"] for x in s3.list_buckets()["Buckets"]]


def test_tls_only_bucket_policy_does_not_block_requests(aws, uid: str) -> None:
    s3 = aws("s3")
    b = f"tls-{uid}"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    assert s3.head_object(Bucket=b, Key="k")["ContentLength"] == 1
    # an unconditional deny still denies
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}))
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=b, Key="k")
    assert err.value.response["Error"]["Code"] in ("403", "AccessDenied")


def test_lifecycle_put_returns_transition_header(local_aws, aws, uid: str) -> None:
    s3 = aws("s3")
    b = f"lc-{uid}"
    s3.create_bucket(Bucket=b)
    out = s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "x", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    assert out["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"


def test_lifecycle_reads_back_exactly_what_was_put(local_aws, aws, uid: str) -> None:
    """The AWS provider's create/update waiter (hashicorp/aws 5.100.0, waitLifecycleConfigEquals)
    needs 10 consecutive GetBucketLifecycleConfiguration answers whose rules deep-equal the rules
    it put and whose TransitionDefaultMinimumObjectSize equals the put's; any difference turns
    the fixed ~55 s settling wait into a 3-minute timeout. The rule is terraform/s3.tf's, in the
    shape the provider sends it (``filter {}`` is sent as ``Filter: {Prefix: ""}``)."""
    s3 = aws("s3")
    b = f"lcrt-{uid}"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    rule = {"ID": "expire-noncurrent-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
    put = s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [rule]})
    for _ in range(3):
        got = s3.get_bucket_lifecycle_configuration(Bucket=b)
        assert got["Rules"] == [rule]
        assert got["TransitionDefaultMinimumObjectSize"] == put["TransitionDefaultMinimumObjectSize"]


def test_job_execution_class_only_when_set(aws, uid: str) -> None:
    glue = aws("glue")
    glue.create_job(Name=f"plain-{uid}", Role="r", Command={"Name": "glueetl"})
    assert "ExecutionClass" not in glue.get_job(JobName=f"plain-{uid}")["Job"]
    glue.create_job(Name=f"flex-{uid}", Role="r", Command={"Name": "glueetl"}, ExecutionClass="FLEX")
    assert glue.get_job(JobName=f"flex-{uid}")["Job"]["ExecutionClass"] == "FLEX"


def test_on_demand_trigger_stays_created_after_start(aws, uid: str) -> None:
    glue = aws("glue")
    glue.create_job(Name=f"j-{uid}", Role="r", Command={"Name": "glueetl"})
    glue.create_trigger(Name=f"od-{uid}", Type="ON_DEMAND", Actions=[{"JobName": f"j-{uid}"}])
    glue.start_trigger(Name=f"od-{uid}")
    assert glue.get_trigger(Name=f"od-{uid}")["Trigger"]["State"] == "CREATED"
    glue.create_trigger(Name=f"sch-{uid}", Type="SCHEDULED", Schedule="cron(0 1 * * ? *)",
                        Actions=[{"JobName": f"j-{uid}"}])
    glue.start_trigger(Name=f"sch-{uid}")
    assert glue.get_trigger(Name=f"sch-{uid}")["Trigger"]["State"] == "ACTIVATED"


def test_simulate_principal_policy(aws, uid: str) -> None:
    iam = aws("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName=f"crawler-{uid}", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName=f"crawler-{uid}", PolicyName="inline", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bronze/*"},
            {"Effect": "Deny", "Action": "glue:DeleteTable", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName=f"crawler-{uid}",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole")
    res = iam.simulate_principal_policy(
        PolicySourceArn=role["Arn"],
        ActionNames=["s3:GetObject", "glue:BatchGetPartition", "glue:DeleteTable", "kms:Decrypt"],
        ResourceArns=["arn:aws:s3:::bronze/x.parquet"])["EvaluationResults"]
    got = {r["EvalActionName"]: r["EvalDecision"] for r in res}
    assert got == {"s3:GetObject": "allowed", "glue:BatchGetPartition": "allowed",  # managed policy
                   "glue:DeleteTable": "explicitDeny", "kms:Decrypt": "implicitDeny"}
    assert any(m["SourcePolicyId"].endswith("AWSGlueServiceRole")
               for r in res if r["EvalActionName"] == "glue:BatchGetPartition"
               for m in r["MatchedStatements"])
    with pytest.raises(ClientError) as err:
        iam.simulate_principal_policy(PolicySourceArn=role["Arn"].replace(uid, "ghost"),
                                      ActionNames=["s3:GetObject"])
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    # other IAM query calls still reach moto
    assert iam.get_role(RoleName=f"crawler-{uid}")["Role"]["Arn"] == role["Arn"]


def test_compat_operations_through_the_aws_cli(aws_cli, uid: str) -> None:
    aws_cli("glue", "create-job", "--name", f"clijob-{uid}", "--role", "r", "--command",
            "Name=glueetl,ScriptLocation=s3://b/a.py")
    aws_cli("glue", "update-job", "--job-name", f"clijob-{uid}", "--job-update",
            json.dumps({"Role": "r2", "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/c.py"},
                        "Timeout": 15}))
    job = json.loads(aws_cli("glue", "get-job", "--job-name", f"clijob-{uid}").stdout)["Job"]
    assert job["Role"] == "r2" and job["Timeout"] == 15
    aws_cli("athena", "create-work-group", "--name", f"cliwg-{uid}")
    aws_cli("athena", "update-work-group", "--work-group", f"cliwg-{uid}", "--description", "via cli")
    wg = json.loads(aws_cli("athena", "get-work-group", "--work-group", f"cliwg-{uid}").stdout)
    assert wg["WorkGroup"]["Description"] == "via cli"
    arn = f"arn:aws:athena:us-east-1:123456789012:workgroup/cliwg-{uid}"
    aws_cli("athena", "tag-resource", "--resource-arn", arn, "--tags", "Key=Team,Value=data")
    tags = json.loads(aws_cli("athena", "list-tags-for-resource", "--resource-arn", arn).stdout)
    assert tags["Tags"] == [{"Key": "Team", "Value": "data"}]
    aws_cli("iam", "create-role", "--role-name", f"clirole-{uid}", "--assume-role-policy-document",
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                "Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    sim = json.loads(aws_cli("iam", "simulate-principal-policy", "--policy-source-arn",
                             f"arn:aws:iam::123456789012:role/clirole-{uid}",
                             "--action-names", "glue:GetTable").stdout)
    assert sim["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
