"""``junit.xml``: one testsuite per checklist section, one testcase per scenario record."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from lakegate import checklist
from lakegate.masking import mask_text
from lakegate.reports import Summary, evidence_lines


def render(summary: Summary) -> str:
    root = ET.Element("testsuites", name="lakegate-signoff")
    total = failures = skipped = 0
    for section, title in checklist.SECTIONS.items():
        items = [it for it in summary.items if it.item.section == section]
        suite = ET.SubElement(root, "testsuite", name=title)
        s_tests = s_fail = s_skip = 0
        for it in items:
            records = it.records or [None]
            for rec in records:
                s_tests += 1
                name = f"{it.item.id}: {rec.scenario if rec else it.item.title}"
                case = ET.SubElement(suite, "testcase", classname=f"lakegate.{section}.{it.item.id}", name=name,
                                     time=f"{(rec.finished - rec.started) if rec and rec.finished else 0:.3f}")
                if rec is None:
                    s_skip += 1
                    ET.SubElement(case, "skipped", message="NOT RUN")
                elif rec.status == "FAIL":
                    s_fail += 1
                    fail = ET.SubElement(case, "failure", message=mask_text(rec.first_failure_line()))
                    fail.text = mask_text(rec.failure)
                elif rec.status == "SKIP":
                    s_skip += 1
                    ET.SubElement(case, "skipped", message=mask_text(rec.failure or "skipped"))
                if rec is not None and rec.evidence:
                    out = ET.SubElement(case, "system-out")
                    out.text = "\n".join(evidence_lines(rec, limit=50))
        suite.set("tests", str(s_tests))
        suite.set("failures", str(s_fail))
        suite.set("skipped", str(s_skip))
        suite.set("errors", "0")
        total, failures, skipped = total + s_tests, failures + s_fail, skipped + s_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("skipped", str(skipped))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
