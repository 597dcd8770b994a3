"""Builders of the results.json sections, one per analysis (plain dicts of JSON values).

Shapes are documented in docs/report.md. Conventions: arm ids (scrambled labels in blinded
mode) are keys; months are string keys ("12"); a 95% interval is a two-element list
`ci95`; a value that is undefined for the data is null. Floats are passed through as
computed; `psytrial.stats.results_json` rounds them to 12 significant digits when writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psytrial.core.blinding import BlindingAssessment, IndexEstimate
from psytrial.stats.mixed import ChiSquareTest, MixedModelFit
from psytrial.stats.pipeline_blinding import BlindingSection
from psytrial.stats.pipeline_primary import PrimaryAnalysis
from psytrial.stats.pipeline_secondary import (
    AttitudeSection,
    HrsSection,
    RepeatedSection,
    SafetySection,
    mean_ci95,
)
from psytrial.stats.safety import AeCount
from psytrial.stats.twosample import ArmSummary, TwoSampleComparison

Json = dict[str, Any]
BANG_WITHHELD = "withheld in blinded mode: Bang's index per group can reveal which group is which"


def month_key(month: float) -> str:
    return str(int(month)) if float(month).is_integer() else str(month)


def primary(p: PrimaryAnalysis) -> Json:
    return {
        "rule": p.rule,
        "n": p.data.n,
        "events": {a: p.data.events_in(a) for a in p.arms},
        "basis": {b: dict(zip(p.arms, counts, strict=True)) for b, counts in p.basis},
        "km": _km(p),
        "logrank": _logrank(p),
        "cox": _cox(p),
        "ph_test": None
        if p.zph is None
        else {"chi2": p.zph.chi2, "df": p.zph.df, "p": p.zph.p, "transform": p.zph.transform},
        "abstinent": _abstinent(p),
        "notes": list(p.notes),
    }


def _km(p: PrimaryAnalysis) -> Json:
    out: Json = {}
    for at, curve in zip(p.km_at, p.km.curves, strict=True):
        out[at.arm] = {
            "month": [int(m) for m in at.month],
            "survival": list(at.survival),
            "lower": list(at.lower),
            "upper": list(at.upper),
            "at_risk": list(at.n_risk),
            "events": list(at.n_event),
            "median": {
                "estimate": curve.median,
                "ci95": _pair(curve.median_lower, curve.median_upper),
            },
        }
    return out


def _pair(low: float | None, high: float | None) -> list[float | None] | None:
    return None if low is None and high is None else [low, high]


def _logrank(p: PrimaryAnalysis) -> Json | None:
    lr = p.logrank
    if lr is None:
        return None
    return {
        "chi2": lr.chi2,
        "df": lr.df,
        "p": lr.p,
        "observed": dict(zip(lr.arms, lr.observed, strict=True)),
        "expected": dict(zip(lr.arms, lr.expected, strict=True)),
    }


def _cox(p: PrimaryAnalysis) -> Json | None:
    c = p.cox
    if c is None:
        return None
    return {
        "compared": c.compared,
        "reference": c.reference,
        "hr": c.hr,
        "ci95": [c.hr_lower, c.hr_upper],
        "p": c.wald_p,
        "coef": c.coef,
        "se": c.se,
        "wald_chi2": c.wald_chi2,
        "lr_chi2": c.lr_chi2,
        "lr_p": c.lr_p,
        "score_chi2": c.score_chi2,
        "score_p": c.score_p,
        "n": c.n,
        "events": c.events,
    }


def _abstinent(p: PrimaryAnalysis) -> Json:
    out: Json = {}
    for row, props in zip(p.abstinence.rows, p.abstinence_ci, strict=True):
        entry: Json = {
            arm: {"n": pr.n, "N": pr.N, "proportion": pr.proportion, "ci95": _list(pr.ci95)}
            for arm, pr in zip(row.arms, props, strict=True)
        }
        comp = row.comparison
        entry["fisher_p"] = None if comp is None else comp.fisher_p
        entry["risk_difference"] = (
            None
            if comp is None
            else {"estimate": comp.risk_difference, "ci95": [comp.rd_lower, comp.rd_upper]}
        )
        out[month_key(row.month)] = entry
    return out


def _list(pair: Sequence[float] | None) -> list[float] | None:
    return None if pair is None else [float(x) for x in pair]


def summary(s: ArmSummary) -> Json:
    return {"mean": s.mean, "sd": s.sd, "n": s.n, "ci95": _list(mean_ci95(s))}


def comparison(c: TwoSampleComparison) -> Json:
    out: Json = {s.arm: summary(s) for s in c.summaries}
    w, mw, g = c.welch, c.mann_whitney, c.hedges_g
    out["p"] = None if w is None else w.p
    out["welch"] = (
        None
        if w is None
        else {"t": w.t, "df": w.df, "p": w.p, "difference": w.difference, "ci95": list(w.ci95)}
    )
    out["mann_whitney"] = None if mw is None else {"u": mw.u, "p": mw.p}
    out["hedges_g"] = None if g is None else {"g": g.g, "se": g.se, "ci95": list(g.ci95)}
    out["notes"] = list(c.notes)
    return out


def hrs(section: HrsSection | None) -> Json | None:
    if section is None:
        return None
    if section.result is not None:
        return {c.cluster: comparison(c.comparison) for c in section.result.clusters}
    return {cluster: {s.arm: summary(s), "p": None} for cluster, s in section.pooled}


def craving(sections: Sequence[RepeatedSection]) -> Json:
    out: Json = {}
    for section in sections:
        entry: Json = {"label": section.label, "notes": list(section.notes)}
        r = section.result
        entry["observed"] = (
            None
            if r is None
            else {str(v.month): {s.arm: summary(s) for s in v.arms} for v in r.observed}
        )
        entry["categorical"] = None if r is None else _model(r.categorical)
        entry["linear"] = None if r is None else _model(r.linear)
        out[section.outcome_id] = entry
    return out


def _test(t: ChiSquareTest) -> Json:
    return {"chi2": t.statistic, "df": t.df, "p": t.p}


def _model(fit: MixedModelFit) -> Json:
    return {
        "differences": {
            str(d.month): {
                "difference": d.difference,
                "se": d.se,
                "ci95": list(d.ci95),
                "p": d.p,
                "n": dict(zip(fit.arms, d.n, strict=True)),
            }
            for d in fit.differences
        },
        "fixed_effects": {
            fe.term: {"estimate": fe.estimate, "se": fe.se, "ci95": list(fe.ci95), "p": fe.p}
            for fe in fit.fixed_effects
        },
        "interaction_wald": _test(fit.interaction_wald),
        "interaction_lr": _test(fit.interaction_lr),
        "participant_variance": fit.participant_variance,
        "residual_variance": fit.residual_variance,
        "n_observations": fit.n_observations,
        "n_participants": fit.n_participants,
        "converged": fit.converged,
        "dropped_months": list(fit.dropped_months),
    }


def attitudes(section: AttitudeSection | None) -> Json | None:
    if section is None:
        return None
    out: Json = {"label": section.label, "notes": list(section.notes), "changes": None}
    if section.result is None:
        return out
    changes: Json = {}
    for c in section.result.changes:
        entry: Json = {
            s.arm: {"n": s.n, "mean": s.mean, "sd": s.sd, "ci95": _list(s.ci95)}
            for s in c.summaries
        }
        a, w = c.ancova, c.welch
        entry["ancova"] = (
            None
            if a is None
            else {
                "difference": a.difference,
                "se": a.se,
                "ci95": list(a.ci95),
                "t": a.t,
                "df": a.df,
                "p": a.p,
                "baseline_slope": a.baseline_slope,
            }
        )
        entry["welch"] = (
            None
            if w is None
            else {"t": w.t, "df": w.df, "p": w.p, "difference": w.difference, "ci95": list(w.ci95)}
        )
        entry["notes"] = list(c.notes)
        changes.setdefault(c.concept, {})[str(c.month)] = entry
    out["changes"] = changes
    return out


def _index(e: IndexEstimate) -> Json:
    return {"estimate": e.estimate, "se": e.se, "ci95": _list(e.ci), "note": e.note}


def _bang(a: BlindingAssessment) -> Json:
    out: Json = {}
    for arm, est in a.bang.items():
        counts = a.table.arm(arm)
        out[arm] = {
            "bang": est.estimate,
            "ci95": _list(est.ci),
            "se": est.se,
            "n": counts.n,
            "correct": counts.correct,
            "incorrect": counts.incorrect,
            "dont_know": counts.dont_know,
            "note": est.note,
        }
    return out


def blinding_index(section: BlindingSection | None) -> Json:
    """role -> arm id -> {bang, ci95, ...}; in blinded mode bang and ci95 are null (withheld)."""
    if section is None:
        return {}
    if section.show_bang:
        return {r.role: _bang(r.assessment) for r in section.roles}
    withheld = {"bang": None, "ci95": None, "note": BANG_WITHHELD}
    return {r.role: {arm: dict(withheld) for arm in r.assessment.bang} for r in section.roles}


def blinding(section: BlindingSection | None) -> Json | None:
    if section is None:
        return None
    roles: Json = {}
    for r in section.roles:
        roles[r.role] = {
            "guesser": r.assessment.guesser.value,
            "n": r.assessment.table.n,
            "james": _index(r.assessment.james),
            "by_visit": {
                visit: {
                    "n": a.table.n,
                    "james": _index(a.james),
                    "bang": _bang(a) if section.show_bang else None,
                }
                for visit, a in r.by_visit
            },
        }
    return {"shows_bang": section.show_bang, "roles": roles, "notes": list(section.notes)}


def _ae_line(line: AeCount) -> Json:
    return {
        c.arm: {"participants": c.participants, "percent": c.percent, "events": c.events}
        for c in line.arms
    }


def adverse_events(section: SafetySection | None) -> Json | None:
    if section is None or section.result is None:
        return None
    r = section.result
    return {
        "n": dict(zip(r.arms, r.n, strict=True)),
        "any_event": _ae_line(r.any_event),
        "any_serious": _ae_line(r.any_serious),
        "any_related": _ae_line(r.any_related),
        "by_severity": {line.label: _ae_line(line) for line in r.by_severity},
        "by_worst_severity": {line.label: _ae_line(line) for line in r.by_worst_severity},
        "by_relatedness": {line.label: _ae_line(line) for line in r.by_relatedness},
        "serious_listing": [
            {
                "participant_id": e.participant_id,
                "arm": e.arm,
                "term": e.term,
                "onset_date": e.onset_date,
                "outcome": e.outcome,
                "severity": e.severity,
                "related": e.related,
            }
            for e in r.serious_listing
        ],
    }
