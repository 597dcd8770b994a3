"""The trial report: one self-contained, deterministic HTML file.

    html = render(result)       # str
    write(result, path)
    write_outputs(result, out_dir, protocol)   # results.json + report.html, leak-checked

Self-contained: no script, no external style sheet, font or image; figures are inline SVG
(matplotlib, `psytrial.stats.figures`; the CONSORT diagram, `consort_svg`). Deterministic:
the same result gives the same bytes (no clock; figure ids fixed). Every number shown is
formatted from `results_json.as_dict(result)`, so results.json holds each of them.

Sections: the mode banner and study header; CONSORT flow; the primary outcome under the
protocol's rule and under the sensitivity rule; HRS; repeated measures (craving); attitude
change; blinding; adverse events; methods, software and notes. Readable when printed: black
on white, tables and figures kept whole across pages, the banner repeated in the footer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psytrial.core.protocol import Protocol
from psytrial.stats import results_json
from psytrial.stats.blinded import POOLED, check_no_arm_identity
from psytrial.stats.consort import consort_svg
from psytrial.stats.method_names import METHODS
from psytrial.stats.pipeline import AnalysisResult
from psytrial.stats.report_html import esc, figure, notes, para, section, table
from psytrial.stats.report_primary import primary_section
from psytrial.stats.report_secondary import (
    attitudes_body,
    blinding_body,
    craving_body,
    hrs_body,
    safety_body,
)
from psytrial.stats.report_style import CSS


def render(result: AnalysisResult) -> str:
    """The report as HTML text."""
    d = results_json.as_dict(result)
    sections = _sections(result, d)
    toc = "".join(f'<li><a href="#{ident}">{title}</a></li>' for ident, title, _ in sections)
    body = "\n".join(section(ident, title, parts) for ident, title, parts in sections)
    mode_class = "blinded" if result.mode == "blinded" else "unblinded"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(_title(result))}</title>\n<style>\n{CSS}</style>\n</head>\n"
        f'<body class="{mode_class}">\n{_header(result, d)}\n'
        f'<nav aria-label="Contents"><h2>Contents</h2><ul class="toc">{toc}</ul></nav>\n'
        f"<main>\n{body}\n</main>\n"
        f'<footer><p class="banner {mode_class}">{esc(result.banner)}</p></footer>\n'
        "</body>\n</html>\n"
    )


def write(result: AnalysisResult, path: str | Path) -> None:
    Path(path).write_text(render(result), encoding="utf-8")


def write_outputs(
    result: AnalysisResult, out_dir: str | Path, protocol: Protocol
) -> tuple[Path, Path]:
    """Write `results.json` and `report.html` into `out_dir`; return their paths.

    A blinded result is searched for the protocol's arm ids and labels before anything is
    written (BlindingError if one is found), so a leak never reaches the disk.
    """
    texts = {"results.json": results_json.dumps(result), "report.html": render(result)}
    if result.mode == "blinded":
        check_no_arm_identity(texts, protocol)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "results.json", folder / "report.html")
    for path in paths:
        path.write_text(texts[path.name], encoding="utf-8")
    return paths


def _title(result: AnalysisResult) -> str:
    prefix = "BLINDED " if result.mode == "blinded" else ""
    return f"{prefix}Statistical report: {result.study.title}"


def _header(result: AnalysisResult, d: dict[str, Any]) -> str:
    mode_class = "blinded" if result.mode == "blinded" else "unblinded"
    arms = "; ".join(f"{esc(a.label)} (n = {a.n})" for a in result.arms)
    facts = [
        ("Mode", esc(result.mode)),
        ("Study", f"{esc(result.study.id)}: {esc(result.study.title)}"),
        ("Protocol version", esc(result.study.protocol_version)),
        ("Reference", esc(result.study.reference) or "none"),
        ("Data cut-off", esc(d["data_cutoff"] or "none (all data in the tables)")),
        ("Latest follow-up visit in the data", esc(d["data_through"] or "none")),
        ("Randomized", f"{result.n_randomized}: {arms}"),
        ("Produced by", f"psytrial {esc(d['software'].get('psytrial', ''))}"),
    ]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    extra = ""
    if result.mode == "blinded":
        pooled = ", ".join(result.pooled_instruments) or "none"
        extra = para(
            "Groups are labelled by a secret random permutation; the same key gives the same "
            f"labels. Arm-revealing instruments are pooled over the groups ({esc(pooled)}); "
            "Bang's blinding index is withheld.",
            "blinded-note",
        )
    return (
        f'<header>\n<p class="banner {mode_class}" role="note"><strong>{esc(result.banner)}'
        f"</strong></p>\n<h1>{esc(_title(result))}</h1>\n{extra}\n"
        f'<dl class="facts">{rows}</dl>\n</header>'
    )


def _sections(result: AnalysisResult, d: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    out = [("consort", "Participant flow (CONSORT)", _consort(result, d))]
    out.append(
        (
            "primary",
            f"Primary outcome: {esc(result.outcome.label)}",
            primary_section(
                result,
                result.primary,
                d["primary"],
                "primary",
                f"{result.primary.rule} rule (primary)",
            ),
        )
    )
    if result.sensitivity is not None:
        out.append(
            (
                "sensitivity",
                "Sensitivity analysis: losses to follow-up censored",
                primary_section(
                    result,
                    result.sensitivity,
                    d["sensitivity"],
                    "sensitivity",
                    f"{result.sensitivity.rule} rule (sensitivity)",
                ),
            )
        )
    optional = [
        ("hrs", "Hallucinogen Rating Scale", hrs_body(result, d)),
        ("craving", "Repeated measures over follow-up", craving_body(result, d)),
        ("attitudes", "Emotional attitudes (colour test)", attitudes_body(result, d)),
        ("blinding", "Blinding", blinding_body(result, d)),
        ("safety", "Adverse events", safety_body(result, d)),
    ]
    out += [s for s in optional if s[2]]
    out.append(("methods", "Methods and software", _methods(d)))
    return [(ident, f"{i}. {title}", body) for i, (ident, title, body) in enumerate(out, 1)]


def _consort(result: AnalysisResult, d: dict[str, Any]) -> list[str]:
    labels = {a.id: a.label for a in result.arms}
    flow = d["consort"]
    arms = list(result.arm_ids)
    keys = [
        ("allocated", "Allocated"),
        ("received_allocated", "Received allocated intervention"),
        ("pending", "Intervention pending"),
    ]
    rows = [[name] + [str(flow["arms"][a][k]) for a in arms] for k, name in keys]
    for k, name in (
        ("did_not_receive", "Did not receive allocated intervention"),
        ("lost_to_follow_up", "Lost to follow-up"),
        ("discontinued", "Discontinued intervention"),
        ("excluded_from_analysis", "Excluded from analysis"),
    ):
        rows.append([name] + [str(flow["arms"][a][k]["n"]) for a in arms])
    rows.append(["Analysed"] + [str(flow["arms"][a]["analysed"]) for a in arms])
    assessed = "not recorded" if flow["assessed"] is None else str(flow["assessed"])
    excluded = flow["excluded"]["n"]
    return [
        figure(consort_svg(result.consort, labels), "CONSORT 2010 flow diagram."),
        para(
            f"Assessed for eligibility: {assessed}; excluded: "
            f"{'not recorded' if excluded is None else excluded}; randomized: "
            f"{flow['randomized']}."
        ),
        table(
            "Participant flow by arm",
            ["Stage", *[esc(labels[a]) for a in arms]],
            rows,
            method=METHODS["consort"],
        ),
    ]


def _methods(d: dict[str, Any]) -> list[str]:
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in sorted(d["methods"].items()))
    software = [[esc(k), esc(v)] for k, v in sorted(d["software"].items())]
    all_notes = [*d["notes"], *(f"HRS: {n}" for n in d["hrs_notes"])]
    if d["pooled_instruments"]:
        all_notes.append(f"{POOLED}: pooled in blinded mode: {', '.join(d['pooled_instruments'])}")
    return [
        f'<dl class="methods">{items}</dl>',
        table("Software", ["Package", "Version"], software, text=True),
        notes(all_notes),
    ]
