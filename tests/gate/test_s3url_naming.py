"""One S3 URL parser (lakegate.s3url) behind every former copy."""

from __future__ import annotations

import pytest

from lakegate.errors import LakegateError
from lakegate.s3url import parse_s3_url, split_s3_url


@pytest.mark.parametrize("url,expected", [
    ("s3://b/a/b/", ("b", "a/b/")), ("s3://b", ("b", "")), ("s3a://b/k", ("b", "k")),
    ("s3n://b/k", ("b", "k")), (" s3://b/k ", ("b", "k")),
])
def test_split(url, expected):
    assert split_s3_url(url) == expected and parse_s3_url(url) == expected


@pytest.mark.parametrize("url", ["http://b/k", "s3:///k", "b/k", "", None, 3])
def test_rejects(url):
    assert split_s3_url(url) is None
    with pytest.raises(LakegateError):
        parse_s3_url(url)
    with pytest.raises(ValueError):   # callers that catch ValueError keep working
        parse_s3_url(url)


def test_former_parsers_delegate():
    from localaws import tabledata
    from localaws.glue import naming
    from tf_checks import model, requirements
    for fn in (naming.parse_s3_url, tabledata.parse_s3_url, requirements.parse_s3_url):
        assert fn("s3a://bkt/x/y") == ("bkt", "x/y")
    assert model.split_s3_url("s3://bkt/") == ("bkt", "")
