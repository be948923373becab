"""The sign-off page in a real browser: headless Chromium over the DevTools protocol.

Never skipped: without a Chromium the test fails (``.ci/run`` installs the Debian ``chromium``
package when it is missing). ``LAKEGATE_REFRESH_SCREENSHOT=1`` rewrites ``docs/signoff.png`` from
the reference run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lakegate.reports import summarize, write_all
from lakegate.reports.timeline import build as build_timeline

from tests.reports.chromium import Browser, file_url, find_chromium

DOCS = Path(__file__).resolve().parents[2] / "docs"
EPOCH = r"(?<![\w.])1\d{9}(?:\.\d+)?(?![\w])"
A4_LANDSCAPE_CSS_PX = 1047        # 297 mm - 2 x 10 mm page margins, at 96 px per inch


@pytest.fixture(scope="module")
def browser():
    exe = find_chromium()
    if exe is None:
        pytest.fail("no Chromium found (chromium, chromium-browser, google-chrome or $LAKEGATE_CHROMIUM): "
                    "install it with `apt-get install -y chromium` (.ci/run does this when it is missing)")
    with Browser(exe, timeout=60) as b:
        yield b


@pytest.mark.parametrize("run", ["passing", "failing"])
def test_signoff_page_in_chromium(browser, run, request, tmp_path):
    report_dir = request.getfixturevalue(f"{run}_dir")
    write_all(report_dir)
    page = browser.open(file_url(report_dir / "signoff.html"), width=1280, height=900)

    # no horizontal overflow at 1280 px
    sw, cw = page.eval("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sw <= cw == 1280, f"the page is {sw} px wide at a 1280 px window"
    wide = page.eval("[...document.querySelectorAll('table,svg,pre,figure')]"
                     ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
                     ".map(e => e.tagName + '.' + e.className.baseVal ?? e.className)")
    assert not wide, f"elements wider than the window: {wide}"

    # one bar per action of the run (what the evidence recorded), each visibly laid out
    expected = len(build_timeline(summarize(report_dir)).actions)
    assert expected == (6 if run == "passing" else 5)
    bars = page.eval("[...document.querySelectorAll('svg.timeline g.bar.action rect')]"
                     ".map(r => { const b = r.getBoundingClientRect(); return [b.width, b.height]; })")
    assert len(bars) == expected and all(w > 0 and h > 0 for w, h in bars), bars
    if run == "failing":
        assert page.eval("document.querySelectorAll('svg.timeline g.bar.action.failed').length") == 1
        assert "error: IllegalArgumentException" in page.eval("document.querySelector('svg.timeline').textContent")

    # no epoch-style number in the visible text
    text = page.eval("document.body.innerText")
    assert "GO" in text
    found = re.findall(EPOCH, text)
    assert not found, f"epoch-like numbers visible: {found[:5]}"
    assert re.search(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\b", text), "times are ISO 8601 UTC"

    # printing: A4 landscape without cut-off columns, and the PDF itself
    browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=page.session)
    browser.send("Emulation.setDeviceMetricsOverride", {"width": A4_LANDSCAPE_CSS_PX, "height": 740,
                                                        "deviceScaleFactor": 1, "mobile": False}, session=page.session)
    sw, cw = page.eval("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sw <= cw, f"printed on A4 landscape the page is {sw} px wide for {cw} px"
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    browser.send("Emulation.setEmulatedMedia", {"media": ""}, session=page.session)

    # no console errors, uncaught exceptions or failed loads
    assert page.console_errors() == []

    if run == "passing":
        browser.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                            "mobile": False}, session=page.session)
        png = page.screenshot(full_page=True)
        assert png.startswith(b"\x89PNG")
        if os.environ.get("LAKEGATE_REFRESH_SCREENSHOT") == "1":
            (DOCS / "signoff.png").write_bytes(png)
