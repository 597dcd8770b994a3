"""Blinded mode: scrambled groups, nothing that names a true arm, and the same statistics.

The leak test renders the JSON and the HTML of a blinded run and searches them for every
arm id of the protocol (as a whole word) and every arm label. The statistics are checked
against the unblinded run through the key's permutation: relabelling the arms must not
change a test statistic, and must invert the hazard ratio exactly when it swaps them.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from psytrial.core.errors import BlindingError, DataError
from psytrial.core.protocol import load_protocol
from psytrial.stats import report, results_json
from psytrial.stats.blinded import (
    BLINDED_BANNER,
    POOLED,
    check_no_arm_identity,
    find_arm_identity,
    group_label,
    keyed_permutation,
    redact,
)
from psytrial.stats.pipeline import AnalysisResult, analyse
from psytrial.stats.tables import TrialTables, validate
from tests.stats.synthetic_trial import ARMS, make_frames, make_trial

PROTOCOL = load_protocol("protocols/kpt2002.yaml")
KEY = bytes(range(32))


@pytest.fixture(scope="module")
def tables() -> TrialTables:
    return make_trial(70, seed=11)


@pytest.fixture(scope="module")
def unblinded(tables: TrialTables) -> AnalysisResult:
    return analyse(tables, PROTOCOL, mode="unblinded")


@pytest.fixture(scope="module")
def blinded(tables: TrialTables) -> AnalysisResult:
    return analyse(tables, PROTOCOL, mode="blinded", blind_key=KEY)


@pytest.fixture(scope="module")
def outputs(blinded: AnalysisResult) -> dict[str, str]:
    return {"results.json": results_json.dumps(blinded), "report.html": report.render(blinded)}


def test_it_names_no_true_arm_id_or_label_in_json_or_html(outputs: dict[str, str]) -> None:
    for name, text in outputs.items():
        for arm in PROTOCOL.arms:
            assert not re.search(rf"(?<![A-Za-z0-9_]){arm.id}(?![A-Za-z0-9_])", text), name
            assert arm.label.lower() not in text.lower(), name
            assert arm.label.replace(" ", "&nbsp;") not in text, name
    check_no_arm_identity(outputs, PROTOCOL)


def test_it_holds_no_true_arm_in_the_result_object(blinded: AnalysisResult) -> None:
    assert blinded.arm_ids == ("Group A", "Group B")
    assert set(blinded.primary.outcomes["arm"]) == {"Group A", "Group B"}
    assert blinded.primary.data.arms == ("Group A", "Group B")
    assert {e.arm for e in blinded.safety.result.serious_listing} <= {"Group A", "Group B"}  # type: ignore[union-attr]
    assert find_arm_identity(repr(blinded.consort), PROTOCOL) is None


def test_it_says_blinded_at_the_top_of_both_outputs(outputs: dict[str, str]) -> None:
    html = outputs["report.html"]
    body = html[html.index("<body") :]
    assert body.index(BLINDED_BANNER) < body.index("<h1")
    assert re.search(r"<title>BLINDED ", html)
    assert html.rstrip().endswith("</html>") and BLINDED_BANNER in html[html.index("<footer") :]
    data = json.loads(outputs["results.json"])
    assert data["mode"] == "blinded" and data["banner"] == BLINDED_BANNER
    assert BLINDED_BANNER.startswith("BLINDED: arm labels are scrambled")


def test_it_gives_the_same_labels_for_the_same_key() -> None:
    first = keyed_permutation(KEY, "kpt2002", ARMS)
    assert keyed_permutation(KEY, "kpt2002", ARMS) == first
    assert sorted(first.values()) == ["Group A", "Group B"]
    seen = {
        tuple(sorted(keyed_permutation(bytes([k]) * 16, "kpt2002", ARMS).items()))
        for k in range(40)
    }
    assert len(seen) == 2  # both assignments occur: the key, not the arm order, decides


def test_it_changes_no_statistic_under_the_permutation(
    unblinded: AnalysisResult, blinded: AnalysisResult
) -> None:
    rename = keyed_permutation(KEY, "kpt2002", ARMS)
    for arm in unblinded.arms:
        assert next(a.n for a in blinded.arms if a.id == rename[arm.id]) == arm.n
    assert blinded.primary.logrank is not None and unblinded.primary.logrank is not None
    assert blinded.primary.logrank.chi2 == pytest.approx(unblinded.primary.logrank.chi2, rel=1e-9)
    hr_b, hr_u = blinded.primary.cox.hr, unblinded.primary.cox.hr  # type: ignore[union-attr]
    swapped = rename["high"] == "Group B"
    assert hr_b == pytest.approx(1 / hr_u if swapped else hr_u, rel=1e-8)
    fisher_b = [r.comparison.fisher_p for r in blinded.primary.abstinence.rows]  # type: ignore[union-attr]
    fisher_u = [r.comparison.fisher_p for r in unblinded.primary.abstinence.rows]  # type: ignore[union-attr]
    assert fisher_b == pytest.approx(fisher_u, rel=1e-12)


def test_it_pools_the_arm_revealing_hrs(tables: TrialTables, blinded: AnalysisResult) -> None:
    assert blinded.hrs is not None and blinded.hrs.result is None
    assert blinded.pooled_instruments == ("hrs", "blinding_guess")
    scores = tables.scores[(tables.scores["instrument"] == "hrs")]
    for cluster, summary in blinded.hrs.pooled:
        values = scores.loc[scores["item_or_scale"] == cluster, "value"]
        assert summary.arm == POOLED and summary.n == len(values) == 70
        assert summary.mean == pytest.approx(values.mean(), rel=1e-12)


def test_it_withholds_bang_and_keeps_james(
    unblinded: AnalysisResult, outputs: dict[str, str]
) -> None:
    data = json.loads(outputs["results.json"])
    assert data["blinding"]["shows_bang"] is False
    for role, by_group in data["blinding_index"].items():
        assert set(by_group) == {"Group A", "Group B"}
        assert all(v["bang"] is None and v["ci95"] is None for v in by_group.values())
        james = next(r for r in unblinded.blinding.roles if r.role == role).assessment.james  # type: ignore[union-attr]
        assert data["blinding"]["roles"][role]["james"]["estimate"] == pytest.approx(
            james.estimate, rel=1e-10
        )


def test_it_takes_tables_already_scrambled_by_the_export() -> None:
    frames = make_frames(40, seed=5)
    to_group = {"high": "Group B", "low": "Group A"}
    frames["participants"]["arm"] = frames["participants"]["arm"].map(to_group)
    guesses = frames["blinding_guesses"]
    guesses["guessed_arm"] = guesses["guessed_arm"].map(lambda g: to_group.get(g, g))
    scrambled = validate(frames, ("Group A", "Group B"))
    out = analyse(scrambled, PROTOCOL, mode="blinded", fit_mixed_models=False)
    assert out.arm_ids == ("Group A", "Group B")
    with pytest.raises(DataError, match="expected the protocol's arms high, low, got Group A"):
        analyse(scrambled, PROTOCOL, mode="unblinded")


def test_it_refuses_blinded_mode_without_a_usable_key(tables: TrialTables) -> None:
    with pytest.raises(BlindingError, match="blind_key: expected a key to scramble the arms"):
        analyse(tables, PROTOCOL, mode="blinded")
    with pytest.raises(BlindingError, match="expected at least 16 random bytes, got 3 bytes"):
        analyse(tables, PROTOCOL, mode="blinded", blind_key=b"abc")


def test_it_finds_arm_ids_only_as_whole_words() -> None:
    assert find_arm_identity("Follow-up flow; highlights; lower limit", PROTOCOL) is None
    assert find_arm_identity("the low arm", PROTOCOL) == "low"
    assert find_arm_identity("arm[high]:month[3]", PROTOCOL) == "high"
    with pytest.raises(BlindingError, match="report.html: expected no true arm id"):
        check_no_arm_identity({"report.html": "<td>high</td>"}, PROTOCOL)


def test_it_redacts_arm_names_from_protocol_text(tables: TrialTables) -> None:
    assert redact("high vs low dose", PROTOCOL) == "[arm] vs [arm] dose"
    study = PROTOCOL.study.model_copy(update={"title": "A high-dose trial"})
    protocol = PROTOCOL.model_copy(update={"study": study})
    out = analyse(tables, protocol, mode="blinded", blind_key=KEY, fit_mixed_models=False)
    assert out.study.title == "A [arm]-dose trial"


def test_it_labels_groups_past_z() -> None:
    assert [group_label(i) for i in (0, 1, 25, 26, 27)] == [
        "Group A",
        "Group B",
        "Group Z",
        "Group AA",
        "Group AB",
    ]


def test_it_keeps_the_tables_unchanged(tables: TrialTables) -> None:
    before = tables.participants["arm"].copy()
    analyse(
        dataclasses.replace(tables), PROTOCOL, mode="blinded", blind_key=KEY, fit_mixed_models=False
    )
    assert tables.participants["arm"].equals(before)


def test_it_writes_both_outputs_after_the_leak_check(
    blinded: AnalysisResult, tmp_path: Path
) -> None:
    json_path, html_path = report.write_outputs(blinded, tmp_path / "out", PROTOCOL)
    assert json.loads(json_path.read_text())["mode"] == "blinded"
    assert BLINDED_BANNER in html_path.read_text(encoding="utf-8")


def test_it_refuses_to_write_a_blinded_output_that_names_an_arm(
    blinded: AnalysisResult, tmp_path: Path
) -> None:
    leaky = dataclasses.replace(blinded, notes=("the high arm",))
    with pytest.raises(BlindingError, match="results.json: expected no true arm id"):
        report.write_outputs(leaky, tmp_path / "leak", PROTOCOL)
    assert not (tmp_path / "leak" / "report.html").exists()


def test_it_redacts_arm_names_typed_into_free_text(tables: TrialTables) -> None:
    people = tables.participants.copy()
    people.loc[0, "end_reason"] = "felt the high dose was too much"
    events = tables.adverse_events.copy()
    events.loc[0, "term"] = "Reaction to Ketamine 2.0 mg/kg IM"
    events.loc[0, "serious"] = "yes"
    typed = dataclasses.replace(tables, participants=people, adverse_events=events)
    out = analyse(typed, PROTOCOL, mode="blinded", blind_key=KEY, fit_mixed_models=False)
    texts = {"results.json": results_json.dumps(out), "report.html": report.render(out)}
    check_no_arm_identity(texts, PROTOCOL)
    assert "Reaction to [arm]" in texts["results.json"]
    assert tables.adverse_events.loc[0, "term"] != "Reaction to [arm]"
