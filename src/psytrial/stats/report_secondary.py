"""The report's secondary sections: HRS, repeated measures, attitudes, blinding, safety.

Numbers come from the results.json structure; figures from the analysis result. A section
whose analysis did not run (no data, or withheld in blinded mode) says so in a sentence.
"""

from __future__ import annotations

from typing import Any

from psytrial.stats import figures
from psytrial.stats.method_names import METHODS
from psytrial.stats.pipeline import AnalysisResult
from psytrial.stats.report_html import NA, ci, esc, figure, notes, num, para, pval, table


def _labels(result: AnalysisResult) -> dict[str, str]:
    return {a.id: a.label for a in result.arms}


def _mean_sd(s: dict[str, Any]) -> str:
    return f"{num(s['mean'], 'mean')} ({num(s['sd'], 'mean')})"


def hrs_body(result: AnalysisResult, d: dict[str, Any]) -> list[str]:
    section, data = result.hrs, d["hrs"]
    if section is None or data is None:
        return []
    labels = _labels(result)
    pooled = section.result is None
    svg = figures.hrs_figure(section, labels, "hrs", section.label)
    body = [figure(svg, "HRS cluster profile: mean cluster score (0-4) with t-based 95% CI.")]
    if pooled and section.pooled:
        body.insert(
            0,
            para(
                "The HRS reveals the dose by its content, so in blinded mode it is "
                "shown pooled over the groups, without comparison.",
                "blinded-note",
            ),
        )
        rows = []
        for cluster, s in section.pooled:
            v = data[cluster][s.arm]
            rows.append([esc(cluster), _mean_sd(v), str(v["n"]), ci(v["ci95"], "mean")])
        body.append(
            table(
                "HRS cluster scores, all participants",
                ["Cluster", "Mean (SD)", "n", "95% CI"],
                rows,
                method=METHODS["hrs"],
            )
        )
    elif section.result is not None:
        arms = list(section.result.arms)
        rows = []
        for cluster, v in data.items():
            row = [esc(cluster)]
            for a in arms:
                row += [_mean_sd(v[a]), str(v[a]["n"])]
            w, g = v["welch"], v["hedges_g"]
            row += [
                NA if w is None else num(w["difference"], "difference"),
                NA if w is None else ci(w["ci95"], "difference"),
                pval(v["p"]),
                pval(None if v["mann_whitney"] is None else v["mann_whitney"]["p"]),
                NA if g is None else f"{num(g['g'], 'g')} ({ci(g['ci95'], 'g')})",
            ]
            rows.append(row)
        header = ["Cluster"] + ["Mean (SD)", "n"] * 2
        header += ["Difference", "95% CI", "Welch p", "Mann-Whitney p", "Hedges' g (95% CI)"]
        top = [("", 1), *[(esc(labels[a]), 2) for a in arms], ("Comparison", 5)]
        body.append(
            table("HRS cluster scores by arm", header, rows, method=METHODS["hrs"], header_top=top)
        )
    body.append(notes(section.notes))
    return body


def craving_body(result: AnalysisResult, d: dict[str, Any]) -> list[str]:
    body: list[str] = []
    labels = _labels(result)
    for section in result.craving:
        data = d["craving"][section.outcome_id]
        body.append(f"<h3>{esc(section.label)}</h3>")
        if section.result is None:
            body += [para("Not analysed."), notes(section.notes)]
            continue
        arms = list(section.result.arms)
        svg = figures.craving_figure(section, labels, f"rm-{section.outcome_id}", section.label)
        body.append(
            figure(svg, f"{esc(section.label)}: observed mean by month and arm, t-based 95% CI.")
        )
        rows = []
        for month, by_arm in data["observed"].items():
            row = [month]
            for a in arms:
                row += [_mean_sd(by_arm[a]), str(by_arm[a]["n"]), ci(by_arm[a]["ci95"], "mean")]
            rows.append(row)
        rows.sort(key=lambda r: int(r[0]) if isinstance(r[0], str) else 0)
        body.append(
            table(
                f"{esc(section.label)}: observed values by month",
                ["Month"] + ["Mean (SD)", "n", "95% CI"] * 2,
                rows,
                header_top=[("", 1), *[(esc(labels[a]), 3) for a in arms]],
            )
        )
        body.append(_model_table(section.label, data["categorical"], arms, labels))
        body.append(_interaction_table(section.label, data))
        body.append(notes(section.notes))
    return body


def _model_table(label: str, model: dict[str, Any], arms: list[str], labels: dict[str, str]) -> str:
    rows = [
        [
            m,
            num(v["difference"], "difference"),
            ci(v["ci95"], "difference"),
            pval(v["p"]),
            " / ".join(str(v["n"][a]) for a in arms),
        ]
        for m, v in sorted(model["differences"].items(), key=lambda kv: int(kv[0]))
    ]
    name = f"{esc(labels[arms[0]])} minus {esc(labels[arms[1]])}"
    return table(
        f"{esc(label)}: model-based difference ({name}) by month",
        ["Month", "Difference", "95% CI", "p", "n observed"],
        rows,
        method=METHODS["craving"],
    )


def _interaction_table(label: str, data: dict[str, Any]) -> str:
    rows = []
    for coding in ("categorical", "linear"):
        model = data[coding]
        for key, name in (("interaction_wald", "Wald"), ("interaction_lr", "Likelihood ratio")):
            t = model[key]
            rows.append(
                [
                    f"{coding} time, {name}",
                    num(t["chi2"], "chi2"),
                    str(t["df"]),
                    pval(t["p"]),
                    "yes" if model["converged"] else "no",
                ]
            )
    return table(
        f"{esc(label)}: arm x time interaction",
        ["Model and test", "Chi-square", "df", "p", "Converged"],
        rows,
    )


def attitudes_body(result: AnalysisResult, d: dict[str, Any]) -> list[str]:
    section, data = result.attitudes, d["attitudes"]
    if section is None or data is None:
        return []
    if section.result is None:
        return [para("Not analysed."), notes(section.notes)]
    labels = _labels(result)
    arms = list(section.result.arms)
    rows = []
    for concept, months in data["changes"].items():
        for month, v in sorted(months.items(), key=lambda kv: int(kv[0])):
            row = [f"{esc(concept)}, month {month}"]
            for a in arms:
                row += [f"{num(v[a]['mean'], 'mean')} ({ci(v[a]['ci95'], 'mean')})", str(v[a]["n"])]
            an, w = v["ancova"], v["welch"]
            row += [
                NA if an is None else num(an["difference"], "difference"),
                NA if an is None else ci(an["ci95"], "difference"),
                pval(None if an is None else an["p"]),
                pval(None if w is None else w["p"]),
            ]
            rows.append(row)
    header = ["Concept, month"] + ["Mean change (95% CI)", "n"] * 2
    header += ["ANCOVA difference", "95% CI", "ANCOVA p", "Welch p (change)"]
    top = [("", 1), *[(esc(labels[a]), 2) for a in arms], ("Comparison", 4)]
    return [
        table(
            f"{esc(section.label)}: change from baseline",
            header,
            rows,
            method=METHODS["attitudes"],
            header_top=top,
        ),
        notes(section.notes),
    ]


def blinding_body(result: AnalysisResult, d: dict[str, Any]) -> list[str]:
    section = result.blinding
    if section is None:
        return []
    labels = _labels(result)
    body = [
        figure(
            figures.blinding_figure(section, labels, "blinding"),
            "Blinding indices by guesser role with Wald 95% CIs.",
        )
    ]
    if not section.show_bang:
        body.insert(
            0,
            para(
                "Bang's index per group is withheld in blinded mode: which group "
                "guesses the active dose correctly would reveal the groups. James' "
                "index is symmetric in the arms and is shown.",
                "blinded-note",
            ),
        )
    arms = list(result.arm_ids)
    rows = []
    for role, r in d["blinding"]["roles"].items():
        row = [
            esc(role),
            str(r["n"]),
            f"{num(r['james']['estimate'], 'index')} ({ci(r['james']['ci95'], 'index')})",
        ]
        for a in arms:
            b = d["blinding_index"][role][a]
            row.append(
                NA
                if b["bang"] is None
                else f"{num(b['bang'], 'index')} "
                f"({ci(b['ci95'], 'index')}); {b['correct']}/{b['incorrect']}/"
                f"{b['dont_know']}"
            )
        rows.append(row)
    header = ["Guesser", "n", "James (95% CI)"]
    header += [f"Bang, {esc(labels[a])} (95% CI); right/wrong/don't know" for a in arms]
    body.append(
        table(
            "Blinding indices on each participant's last guess",
            header,
            rows,
            method=METHODS["blinding"],
        )
    )
    body.append(notes(section.notes))
    return body


def safety_body(result: AnalysisResult, d: dict[str, Any]) -> list[str]:
    data = d["adverse_events"]
    if result.safety is None or data is None:
        return []
    labels = _labels(result)
    arms = list(result.arm_ids)
    lines = [
        ("Any adverse event", data["any_event"]),
        ("Any serious adverse event", data["any_serious"]),
        ("Any related adverse event", data["any_related"]),
    ]
    lines += [(f"Worst severity: {k}", v) for k, v in data["by_worst_severity"].items()]
    lines += [(f"Relatedness: {k}", v) for k, v in data["by_relatedness"].items()]
    rows = [
        [esc(name)]
        + [
            f"{v[a]['participants']} ({num(v[a]['percent'], 'percent')}%) [{v[a]['events']}]"
            for a in arms
        ]
        for name, v in lines
    ]
    head = ["Participants with", *[f"{esc(labels[a])} (N = {data['n'][a]})" for a in arms]]
    body = [
        table(
            "Adverse events by arm: participants (%) [events]",
            head,
            rows,
            method=METHODS["adverse_events"],
        )
    ]
    listing = [
        [
            esc(e["participant_id"]),
            esc(labels.get(e["arm"], e["arm"])),
            esc(e["term"]),
            esc(e["onset_date"]),
            esc(e["severity"]),
            esc(e["related"]),
            esc(e["outcome"]),
        ]
        for e in data["serious_listing"]
    ]
    if listing:
        body.append(
            table(
                "Serious adverse events",
                ["Participant", "Arm", "Event", "Onset", "Severity", "Relatedness", "Outcome"],
                listing,
                text=True,
            )
        )
    else:
        body.append(para("No serious adverse events."))
    return body
