"""CONSORT flow counts on the fixture (counted by hand from tests/stats/data/small_trial) and
the diagram: valid XML, every count shown, labels escaped, nothing fetched, no arm id leaked."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.consort import ConsortFlow, Counted, consort_flow, consort_svg
from psytrial.stats.tables import empty_frame, load_tables, validate
from tests.stats.trialdata import ARMS, SMALL_TRIAL, build, participant

SVG_NS = "{http://www.w3.org/2000/svg}"
BLINDED = {"high": "Group A", "low": "Group B"}


@pytest.fixture(scope="module")
def flow() -> ConsortFlow:
    return consort_flow(load_tables(SMALL_TRIAL, ARMS))


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


def test_it_counts_enrollment_on_the_fixture(flow):
    # 14 screened: S02 and S07 ineligible, S05 declined, S10 consented but not randomized.
    assert flow.assessed == 14
    assert flow.excluded == 4
    assert flow.not_meeting_criteria == Counted(2, (("methadone maintenance", 1), ("psychosis", 1)))
    assert flow.declined == Counted(1, (("did not want an injection", 1),))
    assert flow.other == Counted(1, (("discharged before randomization", 1),))
    assert flow.randomized == 10


def test_it_counts_each_arm_on_the_fixture(flow):
    high, low = flow.arm("high"), flow.arm("low")
    assert [a.arm for a in flow.arms] == ["high", "low"]
    # high: P05 refused the injection; P03 lost (moved away); P04 withdrew consent.
    assert (high.allocated, high.received, high.pending) == (5, 4, 0)
    assert high.not_received == Counted(1, (("refused injection", 1),))
    assert high.lost == Counted(1, (("moved away", 1),))
    assert high.discontinued == Counted(1, (("withdrew consent", 1),))
    assert (high.analysed, high.excluded_from_analysis.n) == (5, 0)
    # low: P08 died of an overdose; P10 withdrawn and excluded from analysis.
    assert (low.allocated, low.received, low.not_received.n) == (5, 5, 0)
    assert low.lost == Counted(1, (("died: overdose", 1),))
    assert low.discontinued == Counted(1, (("ineligible after randomization", 1),))
    assert low.analysed == 4
    assert low.excluded_from_analysis == Counted(1, (("randomized in error", 1),))
    with pytest.raises(KeyError):
        flow.arm("medium")


def test_it_gives_plain_json_for_results(flow):
    out = json.loads(json.dumps(flow.as_dict()))
    assert out["assessed"] == 14 and out["randomized"] == 10
    assert out["excluded"]["n"] == 4
    assert out["excluded"]["declined"] == {"n": 1, "reasons": {"did not want an injection": 1}}
    assert out["arms"]["high"]["did_not_receive"] == {"n": 1, "reasons": {"refused injection": 1}}
    assert out["arms"]["low"]["analysed"] == 4
    assert out["arms"]["low"]["lost_to_follow_up"]["reasons"] == {"died: overdose": 1}


def test_it_orders_reasons_by_count_and_names_missing_ones():
    people = [
        participant("P1", status="lost_to_follow_up", end_reason="moved away"),
        participant("P2", status="lost_to_follow_up", end_reason="moved away"),
        participant("P3", status="lost_to_follow_up", end_reason="no contact"),
        participant("P4", status="lost_to_follow_up"),
        participant("P5", status="died"),
        participant("P6", arm="low", received_allocated="", status="active"),
    ]
    flow = consort_flow(build(people, []))
    assert flow.arm("high").lost == Counted(
        5, (("moved away", 2), ("died", 1), ("no contact", 1), ("reason not given", 1))
    )
    assert flow.arm("low").pending == 1
    assert flow.assessed is None and flow.excluded is None


def test_it_draws_an_svg_that_parses_and_shows_every_count(flow):
    svg = consort_svg(flow, BLINDED)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    shown = " ".join(texts(svg))
    expected = [
        "Assessed for eligibility (n=14)",
        "Excluded (n=4)",
        "Not meeting inclusion criteria (n=2)",
        "methadone maintenance (n=1)",
        "psychosis (n=1)",
        "Declined to participate (n=1)",
        "did not want an injection (n=1)",
        "Other reasons (n=1)",
        "Randomized (n=10)",
        "Allocated to Group A (n=5)",
        "Received allocated intervention (n=4)",
        "Allocated to Group B (n=5)",
        "Received allocated intervention (n=5)",
        "refused injection (n=1)",
        "moved away (n=1)",
        "withdrew consent (n=1)",
        "died: overdose (n=1)",
        "ineligible after randomization (n=1)",
        "Analysed (n=5)",
        "Analysed (n=4)",
        "randomized in error (n=1)",
    ]
    for line in expected:
        assert line in shown, line
    counts = re.findall(r"\(n=(\d+)\)", shown)
    assert counts.count("1") >= 12 and "14" in counts and "10" in counts
    for stage in ("Enrollment", "Allocation", "Follow-Up", "Analysis"):
        assert stage in texts(svg)


def test_it_escapes_labels_and_reasons(flow):
    svg = consort_svg(flow, {"high": 'A & <B> "x"', "low": "</text><script>"})
    assert "A &amp; &lt;B&gt;" in svg
    assert "<script>" not in svg
    shown = texts(svg)
    assert any("Allocated to A & <B>" in t for t in shown)
    assert any("</text><script>" in t for t in shown)


def test_it_escapes_reasons_typed_by_people():
    people = [participant("P1", status="withdrawn", end_reason="side effects <severe> & pain")]
    svg = consort_svg(consort_flow(build(people, [])), BLINDED)
    assert "side effects &lt;severe&gt; &amp; pain" in svg
    assert any("side effects <severe> & pain" in t for t in texts(svg))


def test_it_fetches_nothing_and_leaks_no_arm_id(flow):
    svg = consort_svg(flow, BLINDED)
    root = ET.fromstring(svg)
    hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
    assert hrefs == []
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"\b(high|low)\b", svg)


def test_it_says_not_recorded_without_a_screening_log():
    svg = consort_svg(consort_flow(build([participant("P1")], [])), BLINDED)
    shown = texts(svg)
    assert "Assessed for eligibility (n=not recorded)" in shown
    assert "Excluded (n=not recorded)" in shown


def test_it_refuses_to_draw_without_a_label_for_every_arm(flow):
    with pytest.raises(DataError, match="arm_labels: expected a label for every arm, got none"):
        consort_svg(flow, {"high": "Group A"})


@pytest.mark.parametrize("arms", [("a",), ("a", "b", "c")])
def test_it_draws_one_column_per_arm(arms):
    frames = {name: empty_frame(name) for name in ("followup", "scores", "adverse_events")}
    frames.update(blinding_guesses=empty_frame("blinding_guesses"),
                  screening=empty_frame("screening"))  # fmt: skip
    frames["participants"] = pd.DataFrame([participant(f"P{a}", arm=a) for a in arms])
    tables = validate(frames, arms)
    svg = consort_svg(consort_flow(tables), {a: f"Arm {a.upper()}" for a in arms})
    shown = texts(svg)
    for a in arms:
        assert f"Allocated to Arm {a.upper()} (n=1)" in shown
    width = float(ET.fromstring(svg).attrib["width"])
    assert width >= len(arms) * 300


def test_it_wraps_long_reasons_inside_the_box():
    reason = "participant moved to another city far away and could not be reached by phone"
    people = [participant("P1", status="lost_to_follow_up", end_reason=reason)]
    shown = texts(consort_svg(consort_flow(build(people, [])), BLINDED))
    assert all(len(t) <= 50 for t in shown)
    assert " ".join(t.strip() for t in shown if t.strip()).count("moved to another city") == 1
