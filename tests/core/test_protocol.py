"""Protocol files: the shipped protocols load, and broken ones give one located line each."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from psytrial.core.errors import ProtocolError
from psytrial.core.protocol import load_protocol, parse_protocol, protocol_digest
from psytrial.core.roles import BlindStatus, Role

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
KPT2002 = PROTOCOLS / "kpt2002.yaml"
KPT2007 = PROTOCOLS / "kpt2007.yaml"


def _reference() -> dict[str, Any]:
    data = yaml.safe_load(KPT2002.read_text())
    assert isinstance(data, dict)
    return data


def test_it_loads_the_reference_trial() -> None:
    protocol = load_protocol(KPT2002)
    assert protocol.study.id == "kpt2002"
    assert [a.id for a in protocol.arms] == ["high", "low"]
    assert protocol.arm("high").dose is not None
    assert protocol.arm("high").dose.mg_per_kg == 2.0
    assert protocol.arm("low").dose is not None
    assert protocol.arm("low").dose.mg_per_kg == 0.2
    assert protocol.blinding.status(Role.PHARMACIST) is BlindStatus.UNBLINDED
    assert protocol.blinding.status(Role.OUTCOME_RATER) is BlindStatus.BLIND


def test_it_expands_monthly_follow_up_into_24_visits() -> None:
    protocol = load_protocol(KPT2002)
    follow_up = [v for v in protocol.schedule if v.phase == "follow_up"]
    assert [v.month for v in follow_up] == list(range(1, 25))
    m12 = protocol.visit("m12")
    assert m12.offset_days == 360
    assert m12.instruments == ("followup", "craving", "colour_test", "blinding_guess")
    assert protocol.visit("m02").instruments == ("followup",)


def test_it_marks_arm_revealing_instruments() -> None:
    protocol = load_protocol(KPT2002)
    revealing = {i.id for i in protocol.instruments if i.reveals_arm}
    assert revealing == {"hrs", "vitals", "discharge", "blinding_guess"}


def test_it_builds_stratum_labels_from_the_randomization_strata() -> None:
    protocol = load_protocol(KPT2002)
    assert protocol.stratum_labels() == ("sex=male", "sex=female")
    assert protocol.stratum_levels("site") == ("spb",)


def test_it_builds_cross_product_strata() -> None:
    data = _reference()
    data["sites"].append({"id": "msk", "name": "Moscow"})
    data["randomization"]["strata"] = ["sex", "site"]
    protocol = parse_protocol(yaml.safe_dump(data))
    assert protocol.stratum_labels() == (
        "sex=male|site=spb",
        "sex=male|site=msk",
        "sex=female|site=spb",
        "sex=female|site=msk",
    )


def test_it_uses_one_stratum_when_unstratified() -> None:
    assert load_protocol(KPT2007).stratum_labels() == ("all",)


def test_it_loads_the_2007_design_with_an_open_label_session_and_a_drugless_arm() -> None:
    protocol = load_protocol(KPT2007)
    assert not protocol.arm("single").receives_drug
    assert protocol.visit("open_session").dose == "open_label"
    assert protocol.visit("kpt2").arms == ("multiple",)
    assert protocol.blinding.design == "single_blind"
    assert protocol.outcomes.primary.horizon_months == 12


def test_it_lists_instruments_per_visit() -> None:
    protocol = load_protocol(KPT2002)
    assert [i.id for i in protocol.instruments_at("session")] == ["vitals", "discharge", "hrs"]


def test_it_names_the_unknown_thing_on_lookup() -> None:
    protocol = load_protocol(KPT2002)
    with pytest.raises(ProtocolError, match=r"arm: expected one of high, low, got 'medium'"):
        protocol.arm("medium")


def test_it_digests_protocol_text_stably() -> None:
    text = KPT2002.read_text()
    assert protocol_digest(text) == protocol_digest(text)
    assert protocol_digest(text) != protocol_digest(text + "\n# changed\n")
    assert len(protocol_digest(text)) == 64


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _duplicate_arm(data: dict[str, Any]) -> None:
    data["arms"][1]["id"] = "high"


def _one_arm(data: dict[str, Any]) -> None:
    data["arms"] = data["arms"][:1]


def _arm_specific_visit(data: dict[str, Any]) -> None:
    data["visits"][2]["arms"] = ["high"]


def _drug_without_dose(data: dict[str, Any]) -> None:
    del data["arms"][0]["dose"]


BROKEN: list[tuple[str, Mutation, str]] = [
    (
        "negative dose",
        _set("arms.1.dose.mg_per_kg", -0.2),
        r"arms\[1\]\.dose\.mg_per_kg: expected a positive number, got -0\.2",
    ),
    (
        "dose as text",
        _set("dosing.max_weight_kg", "heavy"),
        r"dosing\.max_weight_kg: expected a number, got 'heavy'",
    ),
    (
        "missing title",
        _delete("study.title"),
        r"study\.title: expected a value for this required key, got nothing",
    ),
    ("unknown key", _set("armz", []), r"armz: unexpected key"),
    (
        "unknown instrument at a visit",
        _set("visits.0.instruments", ["eligibility", "mmpi"]),
        r"visits\[0\]\.instruments\[1\]: expected a declared instrument .*got 'mmpi'",
    ),
    ("duplicate arm", _duplicate_arm, r"arms\[1\]\.id: expected a unique arm id, got 'high'"),
    ("one arm", _one_arm, r"arms: expected at least 2 item"),
    (
        "format version",
        _set("format_version", 2),
        r"format_version: expected format_version 1, got 2",
    ),
    ("bad route", _set("arms.0.route", "IMX"), r"arms\[0\]\.route: expected one of .*'IMX'"),
    (
        "unknown stratum",
        _set("randomization.strata", ["age"]),
        r"randomization\.strata\[0\]: expected a declared stratum \(sex, site\), got 'age'",
    ),
    (
        "weights reversed",
        _set("dosing.min_weight_kg", 130),
        r"dosing: min_weight_kg \(130\.0\) must be below max_weight_kg \(120\.0\)",
    ),
    (
        "volume too small",
        _set("dosing.total_volume_ml", 2.0),
        r"arms\[0\]\.stock_mg_per_ml: expected a stock strong enough to fit 240\.0+ mg",
    ),
    (
        "max mg too low",
        _set("dosing.max_mg", 100),
        r"arms\[0\]\.dose\.mg_per_kg: expected a dose within dosing\.max_mg 100\.0 mg",
    ),
    (
        "volume off graduation",
        _set("dosing.total_volume_ml", 4.97),
        r"dosing\.total_volume_ml: expected a multiple of graduation_ml 0\.05, got 4\.97",
    ),
    (
        "volume above site limit",
        _set("dosing.max_volume_per_site_ml", 3.0),
        r"dosing\.total_volume_ml: expected at most 3\.0 ml",
    ),
    (
        "blind pharmacist",
        _set("blinding.roles.pharmacist", "blind"),
        r"blinding\.roles\.pharmacist: expected pharmacist to be unblinded",
    ),
    (
        "unblinded rater",
        _set("blinding.roles.outcome_rater", "unblinded"),
        r"blinding\.roles\.outcome_rater: expected outcome_rater to stay blind",
    ),
    (
        "unblinded administrator",
        _set("blinding.roles.administrator", "unblinded"),
        r"blinding\.roles\.administrator: expected administrator to stay blind",
    ),
    (
        "unknown role",
        _set("blinding.roles.janitor", "blind"),
        r"blinding\.roles\.janitor.*expected one of",
    ),
    (
        "abstinence month without visit",
        _set("outcomes.primary.abstinence_months", [1, 30]),
        r"outcomes\.primary\.abstinence_months\[1\]: expected a follow-up month",
    ),
    (
        "safety limit on unknown field",
        _set("session_safety.limits.temperature", {"max": 38}),
        r"session_safety\.limits\.temperature: expected a field of form 'vitals'",
    ),
    (
        "limit reversed",
        _set("session_safety.limits.spo2", {"min": 99, "max": 90}),
        r"session_safety\.limits\.spo2: min \(99\.0\) must not exceed max \(90\.0\)",
    ),
    (
        "empty limit",
        _set("session_safety.limits.spo2", {}),
        r"session_safety\.limits\.spo2: expected a min, a max or both, got neither",
    ),
    (
        "unknown instrument kind",
        _set("instruments.0.kind", "tarot"),
        r"instruments\[0\]\.kind: expected one of 'hrs', .*got 'tarot'",
    ),
    (
        "capitalised id",
        _set("study.id", "KPT2002"),
        r"study\.id: expected a lower-case identifier \(letters, digits, _\), got 'KPT2002'",
    ),
    (
        "negative window",
        _set("visits.1.window.before", -2),
        r"visits\[1\]\.window\.before: expected a number at least 0, got -2",
    ),
    (
        "arm-specific visit in a double-blind design",
        _arm_specific_visit,
        r"visits\[2\]\.arms: expected no arm-specific visits in a double_blind design",
    ),
    (
        "drug without dose",
        _drug_without_dose,
        r"arms\[0\]: expected drug, route, dose and stock_mg_per_ml together",
    ),
    (
        "unknown primary instrument",
        _set("outcomes.primary.instrument", "diary"),
        r"outcomes\.primary\[0\]: expected a declared instrument .*got 'diary'",
    ),
    (
        "follow-up months reversed",
        _set("monthly_follow_up.from_month", 30),
        r"monthly_follow_up: from_month \(30\) must not be after to_month \(24\)",
    ),
    ("no eligibility", _set("eligibility", []), r"eligibility: expected at least 1 item"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [(m, e) for _, m, e in BROKEN], ids=[name for name, _, _ in BROKEN]
)
def test_it_rejects_a_broken_protocol_with_one_located_line(
    mutate: Mutation, expected: str
) -> None:
    data = copy.deepcopy(_reference())
    mutate(data)
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(yaml.safe_dump(data, sort_keys=False), source="kpt2002.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(r"^kpt2002\.yaml:\d+: ", message), message
    assert re.search(expected, message), message


def test_it_points_at_the_line_of_the_bad_value() -> None:
    text = KPT2002.read_text().replace("dose: {mg_per_kg: 0.2}", "dose: {mg_per_kg: -0.2}")
    line = 1 + text.splitlines().index("    dose: {mg_per_kg: -0.2}")
    with pytest.raises(ProtocolError, match=rf"^kpt2002\.yaml:{line}: arms\[1\]\.dose"):
        parse_protocol(text, source="kpt2002.yaml")


def test_it_reports_a_yaml_syntax_error_with_its_line() -> None:
    with pytest.raises(ProtocolError, match=r"^p\.yaml:4: expected valid YAML, got a syntax"):
        parse_protocol("format_version: 1\nstudy:\n  id: x\n   title: y: z\n", source="p.yaml")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_it_wants_a_mapping_at_the_top(text: str) -> None:
    with pytest.raises(ProtocolError, match=r"^p\.yaml:1: expected a mapping at the top level"):
        parse_protocol(text, source="p.yaml")


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"expected a protocol file, found no such file"):
        load_protocol(tmp_path / "nope.yaml")


def test_it_reports_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProtocolError, match=r"expected a readable UTF-8 text file"):
        load_protocol(path)
