"""results.json: the contract's shape, valid and deterministic JSON, and numbers that equal
the analysis functions' outputs (rounded to 12 significant digits, the documented rule)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from psytrial.core.protocol import load_protocol
from psytrial.stats import results_json
from psytrial.stats.pipeline import AnalysisResult, analyse
from psytrial.stats.results_json import clean, round_float
from tests.stats.synthetic_trial import make_trial

PROTOCOL = load_protocol("protocols/kpt2002.yaml")


def _no_constants(name: str) -> Any:
    raise AssertionError(f"results.json holds {name}, which is not JSON")


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    return analyse(make_trial(70, seed=21), PROTOCOL)


@pytest.fixture(scope="module")
def text(result: AnalysisResult) -> str:
    return results_json.dumps(result)


@pytest.fixture(scope="module")
def data(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(text, parse_constant=_no_constants)
    return parsed


def r12(x: float) -> float | None:
    return None if math.isnan(x) else float(f"{x:.12g}")


def test_it_writes_strict_json_with_sorted_keys_and_a_final_newline(text: str) -> None:
    assert text.endswith("}\n") and text.isascii()
    assert "NaN" not in text and "Infinity" not in text
    again = json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=True) + "\n"
    assert again == text


def test_it_gives_byte_identical_files_for_the_same_data(text: str) -> None:
    second = analyse(make_trial(70, seed=21), PROTOCOL)
    assert results_json.dumps(second) == text


def test_it_has_the_contract_shape(data: dict[str, Any]) -> None:
    assert data["mode"] == "unblinded" and data["n_randomized"] == 70
    assert data["arms"]["high"]["label"] == "Ketamine 2.0 mg/kg IM"
    assert data["arms"]["high"]["n"] + data["arms"]["low"]["n"] == 70
    for part in ("primary", "sensitivity"):
        p = data[part]
        assert set(p["logrank"]) >= {"chi2", "df", "p"}
        assert set(p["cox"]) >= {"hr", "ci95", "p"} and len(p["cox"]["ci95"]) == 2
        for arm in ("high", "low"):
            km = p["km"][arm]
            assert km["month"] == list(range(25))
            for key in ("survival", "lower", "upper", "at_risk"):
                assert len(km[key]) == 25
        assert sorted(p["abstinent"], key=int) == ["1", "3", "6", "12", "18", "24"]
        for entry in p["abstinent"].values():
            assert set(entry["high"]) >= {"n", "N"} and "fisher_p" in entry
    assert data["primary"]["rule"] == "relapse" and data["sensitivity"]["rule"] == "censor"
    cluster = data["hrs"]["intensity"]
    assert set(cluster["high"]) >= {"mean", "sd", "n"} and "p" in cluster
    for by_arm in data["blinding_index"].values():
        assert set(by_arm) == {"high", "low"}
        assert all(set(v) >= {"bang", "ci95"} for v in by_arm.values())
    assert data["consort"]["randomized"] == 70
    for key in ("craving", "attitudes", "adverse_events", "methods", "software"):
        assert data[key]
    assert set(data["methods"]) >= {"km", "logrank", "cox", "ph_test", "abstinence", "hrs"}
    assert "psytrial" in data["software"] and "python" in data["software"]


def test_it_holds_the_survival_functions_numbers(
    result: AnalysisResult, data: dict[str, Any]
) -> None:
    p, d = result.primary, data["primary"]
    assert p.logrank is not None and p.cox is not None and p.zph is not None
    assert d["logrank"]["chi2"] == r12(p.logrank.chi2)
    assert d["logrank"]["p"] == r12(p.logrank.p) and d["logrank"]["df"] == 1
    assert d["cox"]["hr"] == r12(p.cox.hr)
    assert d["cox"]["ci95"] == [r12(p.cox.hr_lower), r12(p.cox.hr_upper)]
    assert d["cox"]["p"] == r12(p.cox.wald_p)
    assert d["ph_test"]["chi2"] == r12(p.zph.chi2)
    for at in p.km_at:
        km = d["km"][at.arm]
        assert km["survival"] == [r12(x) for x in at.survival]
        assert km["lower"] == [r12(x) for x in at.lower]
        assert km["at_risk"] == list(at.n_risk)
        # Undefined log-log limits (S exactly 1 or 0) are null, as R's NA.
        assert sum(v is None for v in km["upper"]) == int(np.isnan(at.upper).sum())


def test_it_holds_the_abstinence_tables_numbers(
    result: AnalysisResult, data: dict[str, Any]
) -> None:
    for row in result.primary.abstinence.rows:
        entry = data["primary"]["abstinent"][str(int(row.month))]
        for arm, n, total in zip(row.arms, row.abstinent, row.total, strict=True):
            assert (entry[arm]["n"], entry[arm]["N"]) == (n, total)
        assert row.comparison is not None
        assert entry["fisher_p"] == r12(row.comparison.fisher_p)
        assert entry["risk_difference"]["estimate"] == r12(row.comparison.risk_difference)


def test_it_holds_the_secondary_numbers(result: AnalysisResult, data: dict[str, Any]) -> None:
    assert result.hrs is not None and result.hrs.result is not None
    for c in result.hrs.result.clusters:
        for s in c.comparison.summaries:
            assert data["hrs"][c.cluster][s.arm]["mean"] == r12(s.mean)  # type: ignore[arg-type]
        assert c.comparison.welch is not None
        assert data["hrs"][c.cluster]["p"] == r12(c.comparison.welch.p)
    assert result.blinding is not None
    for role in result.blinding.roles:
        for arm, est in role.assessment.bang.items():
            assert data["blinding_index"][role.role][arm]["bang"] == r12(est.estimate)  # type: ignore[arg-type]
    craving = result.craving[0].result
    assert craving is not None
    d = craving.categorical.difference_at(24)
    assert data["craving"]["craving"]["categorical"]["differences"]["24"]["difference"] == r12(
        d.difference
    )


def test_it_rounds_floats_to_twelve_significant_digits() -> None:
    assert round_float(1 / 3) == 0.333333333333
    assert round_float(2.0 / 3.0 * 1e-200) == 6.66666666667e-201
    assert round_float(float("nan")) is None and round_float(float("inf")) is None
    assert str(round_float(-0.0)) == "0.0"


def test_it_cleans_numpy_values_and_refuses_other_objects() -> None:
    cleaned = clean({1: (np.int64(2), np.float64(0.5), np.bool_(True), None)})
    assert cleaned == {"1": [2, 0.5, True, None]}
    assert type(cleaned["1"][0]) is int
    with pytest.raises(TypeError, match="expected a JSON value, got object"):
        clean({"x": object()})
