"""The short cuts in ``arn_covers``/``arn_touches`` (identical strings, no placeholder,
literal pattern, 'arn:...:prefix*' pattern) give exactly the answer of the general algorithm
(tokenize -> segment alignment -> glob), which this test spells out as it was before them."""

from __future__ import annotations

import random

from tf_checks.iam import matching as m

_PIECES = ["arn", "aws", "s3", "glue", "", "b", "b/", "x", ":", ":", "*", "?", "/", "${a}",
           "${b}", "ab", "table/db/", "\ue000"]


def _general_covers(p: str, r: str):
    if p == "*":
        return True
    pp, rr, has = m._tokenize(p, r)
    if m._covers_plain(pp, rr):
        return True
    if has and m._touches_plain(m._star_placeholders(pp), m._star_placeholders(rr)):
        return m.UNKNOWN
    return False


def _general_touches(p: str, r: str):
    if p == "*":
        return True
    pp, rr, _ = m._tokenize(p, r)
    if m._touches_plain(pp, rr):
        return True
    if m._touches_plain(m._star_placeholders(pp), m._star_placeholders(rr)):
        return m.UNKNOWN
    return False


def _cases(n: int, seed: int):
    rnd = random.Random(seed)
    for _ in range(n):
        p = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 10)))
        r = "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 10)))
        if rnd.random() < 0.4:
            p = "arn:aws:s3:::" + p
            r = "arn:aws:s3:::" + r if rnd.random() < 0.8 else r
        if rnd.random() < 0.3 and not p.endswith("*"):
            p += "*"
        if rnd.random() < 0.25 and p.endswith("*"):
            r = p[:-1] + r
        if rnd.random() < 0.05:
            r = p
        yield p, r


def test_fast_paths_match_the_general_algorithm():
    n = 0
    for p, r in _cases(10000, 7):
        assert m.arn_covers.__wrapped__(p, r) == _general_covers(p, r), (p, r)
        assert m.arn_touches.__wrapped__(p, r) == _general_touches(p, r), (p, r)
        n += 1
    assert n == 10000


def test_prefix_fast_path_examples():
    assert m.arn_covers("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/bronze/car_data/*") is True
    assert m.arn_covers("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket") is False
    assert m.arn_covers("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-other/x") is True
    assert m.arn_covers("arn:aws:logs:us-east-1:1:log-group:/aws-glue/*",
                        "arn:aws:logs:us-east-1:1:log-group:/aws-glue/crawlers:*") is True
    assert m.arn_covers("arn:aws:logs:us-east-1:1:log-group:/aws-glue/*",
                        "arn:aws:logs:us-east-2:1:log-group:/aws-glue/crawlers:*") is False
    assert m.arn_covers("arn:aws:s3:::b", "arn:aws:s3:::b") is True
    assert m.arn_covers("arn:aws:s3:::b", "arn:aws:s3:::b/*") is False
