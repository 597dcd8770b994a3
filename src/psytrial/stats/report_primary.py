"""The report's primary-outcome sections (the protocol's rule, then the sensitivity rule).

Numbers come from the results.json structure (`primary` or `sensitivity`), formatted by
`report_html`; the figures come from the analysis result.
"""

from __future__ import annotations

from typing import Any

from psytrial.stats import figures
from psytrial.stats.method_names import METHODS
from psytrial.stats.pipeline import AnalysisResult
from psytrial.stats.pipeline_primary import PrimaryAnalysis
from psytrial.stats.report_html import NA, ci, count, esc, figure, notes, num, para, pval, table

RULE_TEXT = {
    "relapse": "participants lost to follow-up counted as relapsed (conservative rule)",
    "censor": "participants lost to follow-up censored at their last abstinent visit",
}
BASIS_TEXT = {
    "use": "relapse: confirmed heroin use",
    "missing": "relapse: missed visits counted as use",
    "completed": "censored: abstinent to the end of follow-up",
    "cutoff": "censored: follow-up not complete at the data cut-off",
    "dropout": "censored: lost to follow-up (last abstinent visit)",
}


def primary_section(
    result: AnalysisResult, p: PrimaryAnalysis, d: dict[str, Any], ident: str, heading: str
) -> list[str]:
    """Every table and figure of one rule; `d` is its results.json entry."""
    labels = {a.id: a.label for a in result.arms}
    arms = list(result.arm_ids)
    title = f"{result.outcome.label} ({RULE_TEXT[p.rule]})"
    body = [
        para(
            f"<strong>Analysis rule:</strong> {esc(RULE_TEXT[p.rule])}. "
            f"<strong>Event:</strong> {esc(result.outcome.event)}"
        ),
        figure(
            figures.km_figure(p, labels, f"km-{ident}", f"Relapse-free survival: {heading}"),
            f"Kaplan-Meier estimate of the proportion relapse-free by arm, shaded 95% log-log "
            f"confidence bands, censoring marked |; numbers at risk below the axis. "
            f"{esc(title)}.",
        ),
        _km_table(d, arms, labels, ident),
        _median_table(d, arms, labels),
        _tests_table(d, arms, labels),
        _basis_table(d, arms, labels),
        figure(
            figures.abstinence_figure(p, labels, f"abst-{ident}", f"Abstinence: {heading}"),
            "Continuous abstinence (no relapse so far) at each assessment month, by arm, with "
            "Wilson 95% confidence intervals.",
        ),
        _abstinence_table(d, arms, labels),
        notes(d["notes"]),
    ]
    return body


def _arm_head(arms: list[str], labels: dict[str, str], span: int) -> list[tuple[str, int]]:
    return [("", 1), *[(esc(labels[a]), span) for a in arms]]


def _km_table(d: dict[str, Any], arms: list[str], labels: dict[str, str], ident: str) -> str:
    km = d["km"]
    rows = []
    for i, month in enumerate(km[arms[0]]["month"]):
        row = [str(month)]
        for a in arms:
            row += [
                num(km[a]["survival"][i], "survival"),
                ci([km[a]["lower"][i], km[a]["upper"][i]], "survival"),
                str(km[a]["at_risk"][i]),
            ]
        rows.append(row)
    header = ["Month"] + ["Relapse-free", "95% CI", "At risk"] * len(arms)
    return table(
        "Kaplan-Meier estimates by month (relapse-free proportion, 95% CI, number at risk)",
        header,
        rows,
        method=METHODS["km"],
        header_top=_arm_head(arms, labels, 3),
        table_id=f"km-table-{ident}",
    )


def _median_table(d: dict[str, Any], arms: list[str], labels: dict[str, str]) -> str:
    rows = []
    for a in arms:
        med = d["km"][a]["median"]
        estimate = "not reached" if med["estimate"] is None else num(med["estimate"], "months")
        rows.append([esc(labels[a]), str(d["events"][a]), estimate, ci(med["ci95"], "months")])
    return table(
        "Median time to relapse (months)",
        ["Arm", "Relapses", "Median", "95% CI"],
        rows,
        method="Median by R's rule (quantile.survfit), limits by Brookmeyer & Crowley (1982)",
    )


def _tests_table(d: dict[str, Any], arms: list[str], labels: dict[str, str]) -> str:
    parts = []
    lr, cx, ph = d["logrank"], d["cox"], d["ph_test"]
    if lr is not None:
        observed = "; ".join(
            f"{esc(labels[a])}: {lr['observed'][a]} observed, "
            f"{num(lr['expected'][a], 'chi2')} expected"
            for a in arms
        )
        parts.append(
            table(
                "Log-rank test",
                ["Test", "Chi-square", "df", "p", "Relapses"],
                [["Log-rank", num(lr["chi2"], "chi2"), str(lr["df"]), pval(lr["p"]), observed]],
                method=METHODS["logrank"],
            )
        )
    if cx is not None:
        name = f"{esc(labels[cx['compared']])} vs {esc(labels[cx['reference']])}"
        parts.append(
            table(
                "Cox proportional hazards model (hazard of relapse)",
                ["Comparison", "Hazard ratio", "95% CI", "p (Wald)", "LR p"],
                [
                    [
                        name,
                        num(cx["hr"], "hr"),
                        ci(cx["ci95"], "hr"),
                        pval(cx["p"]),
                        pval(cx["lr_p"]),
                    ]
                ],
                method=METHODS["cox"],
            )
        )
    if ph is not None:
        parts.append(
            table(
                "Proportional-hazards check",
                ["Test", "Chi-square", "df", "p"],
                [["Arm x g(t)", num(ph["chi2"], "chi2"), str(ph["df"]), pval(ph["p"])]],
                method=METHODS["ph_test"],
            )
        )
    return "\n".join(parts)


def _basis_table(d: dict[str, Any], arms: list[str], labels: dict[str, str]) -> str:
    rows = [
        [esc(BASIS_TEXT.get(b, b))] + [str(by_arm[a]) for a in arms]
        for b, by_arm in d["basis"].items()
    ]
    return table(
        "How each participant's outcome was decided",
        ["Outcome basis", *[esc(labels[a]) for a in arms]],
        rows,
        method=METHODS["derivation"],
    )


def _abstinence_table(d: dict[str, Any], arms: list[str], labels: dict[str, str]) -> str:
    rows = []
    for month in sorted(d["abstinent"], key=int):
        entry = d["abstinent"][month]
        row = [month]
        for a in arms:
            row += [
                count(entry[a]["n"], entry[a]["N"]),
                num(entry[a]["proportion"], "proportion"),
                ci(entry[a]["ci95"], "proportion"),
            ]
        rd = entry["risk_difference"]
        row += [
            NA if rd is None else num(rd["estimate"], "proportion"),
            NA if rd is None else ci(rd["ci95"], "proportion"),
            pval(entry["fisher_p"]),
        ]
        rows.append(row)
    header = ["Month"] + ["n/N", "Proportion", "95% CI"] * len(arms)
    header += ["Risk difference", "95% CI", "Fisher p"]
    top = [*_arm_head(arms, labels, 3), (f"{esc(labels[arms[0]])} minus {esc(labels[arms[1]])}", 3)]
    return table(
        "Continuous abstinence by month", header, rows, method=METHODS["abstinence"], header_top=top
    )
