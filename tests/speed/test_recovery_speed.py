"""The IAM-propagation probe asks the policy simulator once per (role, resource) with all of that
resource's actions, and still judges every (action, resource) pair on its own."""

from __future__ import annotations

from lakegate import recovery


class FakeIam:
    """Answers like SimulatePrincipalPolicy: one EvaluationResult per action for one resource."""

    def __init__(self, decisions: dict[tuple[str, str, str], str], drop: set[str] = frozenset()) -> None:
        self.decisions = decisions
        self.drop = drop
        self.calls: list[tuple[str, list[str], list[str]]] = []

    def simulate_principal_policy(self, PolicySourceArn, ActionNames, ResourceArns):  # noqa: N803
        self.calls.append((PolicySourceArn, list(ActionNames), list(ResourceArns)))
        out = []
        for action in ActionNames:
            if action in self.drop:
                continue
            for resource in ResourceArns:
                out.append({"EvalActionName": action, "EvalResourceName": resource,
                            "EvalDecision": self.decisions.get((PolicySourceArn, action, resource),
                                                               "allowed")})
        return {"EvaluationResults": out, "IsTruncated": False}


class FakeClients:
    def __init__(self, iam: FakeIam) -> None:
        self.iam = iam


ROLE_A = "arn:aws:iam::123456789012:role/orders-crawler"
ROLE_B = "arn:aws:iam::123456789012:role/orders-etl"
TABLE = "arn:aws:glue:eu-west-1:123456789012:table/orders/*"
BUCKET = "arn:aws:s3:::orders-raw/*"


def test_pairs_of_one_resource_share_a_call_and_each_denied_pair_is_named():
    checks = {
        "orders-crawler": (ROLE_A, [("glue:GetTable", TABLE), ("glue:BatchGetPartition", TABLE),
                                    ("s3:GetObject", BUCKET), ("glue:GetTable", TABLE)]),
        "orders-etl": (ROLE_B, [("s3:PutObject", BUCKET)]),
    }
    iam = FakeIam({(ROLE_A, "glue:BatchGetPartition", TABLE): "implicitDeny",
                   (ROLE_B, "s3:PutObject", BUCKET): "explicitDeny"})
    denied = recovery._denied(FakeClients(iam), checks)
    assert denied == {"orders-crawler": [f"glue:BatchGetPartition on {TABLE}"],
                      "orders-etl": [f"s3:PutObject on {BUCKET}"]}
    assert iam.calls == [(ROLE_A, ["glue:GetTable", "glue:BatchGetPartition"], [TABLE]),
                         (ROLE_A, ["s3:GetObject"], [BUCKET]),
                         (ROLE_B, ["s3:PutObject"], [BUCKET])]


def test_an_action_missing_from_the_answer_counts_as_denied():
    checks = {"orders-crawler": (ROLE_A, [("glue:GetTable", TABLE), ("glue:GetPartitions", TABLE)])}
    iam = FakeIam({}, drop={"glue:GetPartitions"})
    assert recovery._denied(FakeClients(iam), checks) == {
        "orders-crawler": [f"glue:GetPartitions on {TABLE}"]}


def test_many_actions_are_split_into_batches():
    actions = [f"glue:Action{i}" for i in range(recovery.SIMULATE_BATCH * 2 + 3)]
    checks = {"orders-etl": (ROLE_B, [(a, TABLE) for a in actions])}
    iam = FakeIam({(ROLE_B, actions[-1], TABLE): "implicitDeny"})
    assert recovery._denied(FakeClients(iam), checks) == {"orders-etl": [f"{actions[-1]} on {TABLE}"]}
    assert [len(c[1]) for c in iam.calls] == [recovery.SIMULATE_BATCH, recovery.SIMULATE_BATCH, 3]
    assert [a for c in iam.calls for a in c[1]] == actions
