from __future__ import annotations

import pytest

from lakegate.masking import mask, mask_text
from lakegate.polling import Poller, PollTimeout


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.sleeps: list[float] = []

    def clock(self):
        return self.t

    def sleep(self, s):
        self.sleeps.append(s)
        self.t += s


def test_poller_backs_off_and_returns_when_done():
    fc = FakeClock()
    values = iter(["RUNNING", "RUNNING", "RUNNING", "READY"])
    p = Poller(initial=1, factor=2, max_interval=3, ratio=None, clock=fc.clock, sleep=fc.sleep)
    assert p.wait_for("crawler", lambda: next(values), lambda v: v == "READY", timeout=60) == "READY"
    assert fc.sleeps == [1, 2, 3]


def test_poller_times_out_with_last_value():
    fc = FakeClock()
    p = Poller(initial=5, clock=fc.clock, sleep=fc.sleep)
    with pytest.raises(PollTimeout) as err:
        p.wait_for("workflow run", lambda: "RUNNING", lambda v: v == "COMPLETED", timeout=20)
    assert err.value.last == "RUNNING" and err.value.waited >= 20
    assert sum(fc.sleeps) <= 20 + 1e-9


def test_mask_account_ids_keys_and_secret_fields():
    doc = {"RoleArn": "arn:aws:iam::123456789012:role/r", "SecretAccessKey": "x" * 40,
           "note": "key AKIAIOSFODNN7EXAMPLE used", "nested": [{"password": "hunter2"}]}
    out = mask(doc)
    assert "123456789012" not in str(out)
    assert out["SecretAccessKey"] == "****"
    assert "AKIAIOSFODNN7EXAMPLE" not in out["note"]
    assert out["nested"][0]["password"] == "****"
    assert mask_text("run wr_123 took 1.5 s") == "run wr_123 took 1.5 s"


def test_mask_secret_assignments_and_bare_secret_keys_but_not_shas():
    sha = "0123456789abcdef0123456789abcdef01234567"
    text = mask_text(f"secret=abc123 token: xyz commit {sha} key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    assert "abc123" not in text and "xyz" not in text and "EXAMPLEKEY" not in text
    assert sha in text
