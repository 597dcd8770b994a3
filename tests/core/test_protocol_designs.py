"""Cross-checks that concern designs other than the reference trial's, and lookups."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from psytrial.core.errors import ProtocolError
from psytrial.core.protocol import load_protocol, parse_protocol
from psytrial.core.protocol.adapters import (
    allocation_parameters,
    dose_rules,
    dosing_limits,
    open_label_rule,
)

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((PROTOCOLS / name).read_text())
    assert isinstance(data, dict)
    return data


def _broken(name: str, mutate: Callable[[dict[str, Any]], None]) -> str:
    data = copy.deepcopy(_load(name))
    mutate(data)
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(yaml.safe_dump(data, sort_keys=False), source=name)
    message = str(caught.value)
    assert "\n" not in message and re.match(rf"^{re.escape(name)}:\d+: ", message), message
    return message


def test_it_wants_an_open_label_dose_for_an_open_label_session() -> None:
    message = _broken("kpt2007.yaml", lambda d: d.pop("open_label_dose"))
    assert "open_label_dose: expected an open_label_dose" in message


def test_it_wants_dosing_limits_when_a_drug_is_given() -> None:
    message = _broken("kpt2007.yaml", lambda d: d.pop("dosing"))
    assert "dosing: expected dosing limits" in message


def test_it_wants_a_randomized_session_when_an_arm_gets_the_drug() -> None:
    def no_session(d: dict[str, Any]) -> None:
        d["visits"] = [v for v in d["visits"] if v.get("dose") != "randomized"]

    assert "expected a drug_session visit with dose 'randomized'" in _broken(
        "kpt2007.yaml", no_session)


def test_it_wants_a_drug_arm_for_a_randomized_session() -> None:
    def drugless(d: dict[str, Any]) -> None:
        for key in ("drug", "route", "dose", "stock_mg_per_ml"):
            d["arms"][0].pop(key)

    assert "arms: expected at least one arm with a drug" in _broken("kpt2007.yaml", drugless)


def test_it_refuses_a_drugless_arm_in_a_double_blind_design() -> None:
    def double_blind(d: dict[str, Any]) -> None:
        d["blinding"] = {"design": "double_blind"}
        for visit in d["visits"]:
            visit.pop("arms", None)

    assert "blinding.design: expected every arm to receive the drug" in _broken(
        "kpt2007.yaml", double_blind)


def test_it_refuses_an_arm_specific_visit_for_an_unknown_arm() -> None:
    def unknown(d: dict[str, Any]) -> None:
        d["visits"][2]["arms"] = ["several"]

    assert "visits[2].arms[0]: expected a declared arm" in _broken("kpt2007.yaml", unknown)


def test_it_refuses_a_monthly_visit_id_already_used() -> None:
    def clash(d: dict[str, Any]) -> None:
        d["visits"][0]["id"] = "m03"

    assert "monthly_follow_up: expected visit ids not already used" in _broken(
        "kpt2002.yaml", clash)


def test_it_refuses_duplicate_visit_ids() -> None:
    def twice(d: dict[str, Any]) -> None:
        d["visits"][1]["id"] = d["visits"][0]["id"]

    assert "visits[1].id: expected a unique visit id" in _broken("kpt2002.yaml", twice)


def test_it_wants_at_least_one_visit() -> None:
    def none(d: dict[str, Any]) -> None:
        d["visits"] = []
        d.pop("monthly_follow_up")
        d["outcomes"]["primary"]["abstinence_months"] = []

    assert "expected at least one visit" in _broken("kpt2002.yaml", none)


def test_it_refuses_unknown_instruments_in_the_monthly_follow_up() -> None:
    assert "monthly_follow_up.instruments[0]: expected a declared instrument" in _broken(
        "kpt2002.yaml", lambda d: d["monthly_follow_up"].update(instruments=["diary"]))
    assert "monthly_follow_up.extra_instruments[12][0]" in _broken(
        "kpt2002.yaml", lambda d: d["monthly_follow_up"]["extra_instruments"].update({12: ["x"]}))


def test_it_refuses_extra_instruments_outside_the_follow_up_months() -> None:
    message = _broken("kpt2002.yaml",
                      lambda d: d["monthly_follow_up"]["extra_instruments"].update({30: []}))
    assert "extra_instruments names month 30, expected a month from 1 to 24" in message


def test_it_refuses_unknown_unscheduled_and_secondary_instruments() -> None:
    assert "unscheduled_instruments[0]: expected a declared instrument" in _broken(
        "kpt2002.yaml", lambda d: d.update(unscheduled_instruments=["diary"]))
    assert "outcomes.secondary[0].instrument[0]: expected a declared instrument" in _broken(
        "kpt2002.yaml", lambda d: d["outcomes"]["secondary"][0].update(instrument="x"))


def test_it_wants_levels_for_a_stratum_that_is_not_the_site() -> None:
    assert "strata[0].levels: expected at least one level" in _broken(
        "kpt2002.yaml", lambda d: d["strata"][0].pop("levels"))


def test_it_wants_a_known_form_for_session_safety() -> None:
    assert "session_safety.instrument[0]: expected a declared instrument" in _broken(
        "kpt2002.yaml", lambda d: d["session_safety"].update(instrument="ecg"))
    assert "expected a form instrument with fields, got 'craving'" in _broken(
        "kpt2002.yaml", lambda d: d["session_safety"].update(instrument="craving"))


def test_it_refuses_a_dose_only_outside_sessions() -> None:
    assert "expected dose 'none' outside drug_session visits" in _broken(
        "kpt2002.yaml", lambda d: d["visits"][0].update(dose="randomized"))


def test_it_refuses_an_open_label_dose_that_does_not_fit() -> None:
    message = _broken("kpt2007.yaml",
                      lambda d: d["open_label_dose"].update(stock_mg_per_ml=10))
    assert "open_label_dose.stock_mg_per_ml: expected a stock strong enough" in message


def test_it_refuses_what_the_dosing_engine_refuses() -> None:
    # 2 injection sites of 2.5 ml: 5.0 ml splits into 2.5 + 2.5, but with a 0.2 ml graduation
    # 2.5 ml is not a whole number of graduations.
    def split(d: dict[str, Any]) -> None:
        d["dosing"].update(injection_sites=2, max_volume_per_site_ml=2.5, graduation_ml=0.2,
                           total_volume_ml=5.0)

    assert re.search(r"^kpt2002\.yaml:\d+: dosing: ", _broken("kpt2002.yaml", split))


def test_it_maps_the_protocol_onto_the_engines() -> None:
    protocol = load_protocol(PROTOCOLS / "kpt2007.yaml")
    assert set(dose_rules(protocol)) == {"multiple"}
    rule = open_label_rule(protocol)
    assert rule is not None and str(rule.mg_per_kg) == "2.0"
    assert str(dosing_limits(protocol).graduation_ml) == "0.1"
    params = allocation_parameters(protocol, 10)
    assert params.strata == ("all",) and params.n_per_stratum == 10
    reference = load_protocol(PROTOCOLS / "kpt2002.yaml")
    assert open_label_rule(reference) is None


def test_it_names_unknown_visits_instruments_and_strata() -> None:
    protocol = load_protocol(PROTOCOLS / "kpt2002.yaml")
    for lookup, what in ((protocol.visit, "visit"), (protocol.instrument, "instrument"),
                         (protocol.stratum, "stratum")):
        with pytest.raises(ProtocolError, match=rf"^{what}: expected one of .*got 'nope'"):
            lookup("nope")


def test_it_reports_an_impossible_date_with_its_place() -> None:
    text = (PROTOCOLS / "kpt2002.yaml").read_text().replace(
        "format_version: 1", "format_version: 1\neffective_date: 1996-13-01", 1)
    with pytest.raises(ProtocolError, match=r"^k\.yaml:\d+: effective_date: expected a date"):
        parse_protocol(text, source="k.yaml")
    fine = text.replace("1996-13-01", "1996-12-01")
    assert str(parse_protocol(fine, source="k.yaml").effective_date) == "1996-12-01"
