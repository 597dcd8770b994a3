"""The HTML report: self-contained, deterministic, accessible, and showing results.json's
numbers (formatted by the report's own formatters) in the tables where they belong."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from psytrial.core.protocol import load_protocol
from psytrial.stats import report, results_json
from psytrial.stats.blinded import UNBLINDED_BANNER
from psytrial.stats.pipeline import AnalysisResult, analyse
from psytrial.stats.report_html import ci, count, num, pval
from psytrial.stats.tables import TrialTables
from tests.stats.synthetic_trial import Rates, make_frames, make_trial

PROTOCOL = load_protocol("protocols/kpt2002.yaml")
SVG_NS = "{http://www.w3.org/2000/svg}"


def tables_with_markup() -> TrialTables:
    """A synthetic trial plus a serious event whose term holds markup (to be escaped)."""
    tables = make_trial(70, seed=31)
    extra = pd.DataFrame(
        [
            {
                "participant_id": tables.participants["participant_id"].iloc[0],
                "term": "<script>alert(1)</script> & more",
                "onset_date": pd.Timestamp("2001-05-01"),
                "serious": "yes",
                "severity": "severe",
                "related": "unlikely",
                "outcome": "recovered",
            }
        ]
    )
    events = pd.concat([tables.adverse_events, extra], ignore_index=True)
    return dataclasses.replace(tables, adverse_events=events)


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    return analyse(tables_with_markup(), PROTOCOL)


@pytest.fixture(scope="module")
def html(result: AnalysisResult) -> str:
    return report.render(result)


@pytest.fixture(scope="module")
def data(result: AnalysisResult) -> dict[str, Any]:
    return results_json.as_dict(result)


def section(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}"')
    return html[start : html.index("</section>", start)]


def table(html: str, caption: str) -> str:
    start = html.index(f"<caption>{caption}</caption>")
    return html[start : html.index("</table>", start)]


def test_it_loads_nothing_from_outside(html: str) -> None:
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(?!#)", html)
    for target in re.findall(r'href="([^"]*)"', html):
        assert target.startswith("#"), target


def test_it_embeds_svg_that_parses_as_xml_with_a_title_and_description(html: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 8  # CONSORT, 2 x (KM, abstinence), HRS, craving, blinding
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg" and root.get("role") == "img"
        children = [child.tag for child in root]
        assert children[0] == f"{SVG_NS}title", children[:2]
    matplotlib_figures = [s for s in svgs if "aria-labelledby" in s]
    assert len(matplotlib_figures) == len(svgs) - 1
    for svg in matplotlib_figures:
        assert ET.fromstring(svg)[1].tag == f"{SVG_NS}desc"


def test_it_uses_every_element_id_once(html: str) -> None:
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []


def test_it_captions_every_table_and_scopes_every_header(html: str) -> None:
    tables = re.findall(r"<table\b.*?</table>", html, flags=re.S)
    assert len(tables) > 15
    for t in tables:
        assert re.search(r"<caption>[^<]", t)
        assert all("scope=" in th for th in re.findall(r"<th\b[^>]*>", t))


def test_it_names_the_method_under_each_analysis_table(html: str) -> None:
    html = unescape(html)
    primary = section(html, "primary")
    assert "Log-rank test (Mantel 1966)" in primary and "R survdiff rho = 0" in primary
    assert "Efron ties" in primary and "cox.zph" in primary and "Fisher's exact test" in primary
    assert "Welch's t test" in section(html, "hrs")
    assert "REML" in section(html, "craving") and "ANCOVA" in section(html, "attitudes")


def test_it_shows_the_primary_test_results_of_results_json(html: str, data: dict[str, Any]) -> None:
    for part in ("primary", "sensitivity"):
        d, sec = data[part], section(html, part)
        lr = table(sec, "Log-rank test")
        assert f"<td>{num(d['logrank']['chi2'], 'chi2')}</td>" in lr
        assert f"<td>{pval(d['logrank']['p'])}</td>" in lr
        cox = table(sec, "Cox proportional hazards model (hazard of relapse)")
        assert f"<td>{num(d['cox']['hr'], 'hr')}</td>" in cox
        assert f"<td>{ci(d['cox']['ci95'], 'hr')}</td>" in cox
        km = table(
            sec, "Kaplan-Meier estimates by month (relapse-free proportion, 95% CI, number at risk)"
        )
        for arm in ("high", "low"):
            for s, n in zip(d["km"][arm]["survival"], d["km"][arm]["at_risk"], strict=True):
                assert f"<td>{num(s, 'survival')}</td>" in km and f"<td>{n}</td>" in km


def test_it_shows_each_abstinence_count(html: str, data: dict[str, Any]) -> None:
    for part in ("primary", "sensitivity"):
        abst = table(section(html, part), "Continuous abstinence by month")
        for month, entry in data[part]["abstinent"].items():
            row = re.search(rf'<tr><th scope="row">{month}</th>(.*?)</tr>', abst)
            assert row is not None, month
            for arm in ("high", "low"):
                assert f"<td>{count(entry[arm]['n'], entry[arm]['N'])}</td>" in row.group(1)
            assert f"<td>{pval(entry['fisher_p'])}</td>" in row.group(1)


def test_it_shows_secondary_numbers(html: str, data: dict[str, Any]) -> None:
    hrs = table(section(html, "hrs"), "HRS cluster scores by arm")
    for cluster, v in data["hrs"].items():
        assert f"{num(v['high']['mean'], 'mean')} ({num(v['high']['sd'], 'mean')})" in hrs
        assert f"<td>{pval(v['p'])}</td>" in hrs, cluster
    blinding = section(html, "blinding")
    for role, by_arm in data["blinding_index"].items():
        for v in by_arm.values():
            assert f"{num(v['bang'], 'index')} ({ci(v['ci95'], 'index')})" in blinding, role
    consort = table(section(html, "consort"), "Participant flow by arm")
    assert f"<td>{data['consort']['arms']['low']['allocated']}</td>" in consort


def test_it_says_the_mode_first_and_gives_the_study_header(html: str) -> None:
    body = html[html.index("<body") :]
    assert body.index(UNBLINDED_BANNER) < body.index("<h1")
    header = html[html.index("<header") : html.index("</header>")]
    for text in ("kpt2002", "Protocol version", "1.0", "Data cut-off", "none (all data"):
        assert text in header


def test_it_escapes_text_from_the_data(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>alert" not in html


def test_it_is_readable_when_printed(html: str) -> None:
    assert "@media print" in html and "break-inside: avoid" in html
    assert html.count(UNBLINDED_BANNER) == 2  # header and footer


def test_it_renders_byte_identical_html_for_the_same_data(html: str) -> None:
    assert report.render(analyse(tables_with_markup(), PROTOCOL)) == html


def test_it_writes_the_file(tmp_path: Any, result: AnalysisResult, html: str) -> None:
    report.write(result, tmp_path / "report.html")
    results_json.write(result, tmp_path / "results.json")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == html
    assert (tmp_path / "results.json").read_text() == results_json.dumps(result)


DIGEST_SCRIPT = """
import hashlib, sys
sys.path.insert(0, '.')
from psytrial.core.protocol import load_protocol
from psytrial.stats import report, results_json
from psytrial.stats.pipeline import analyse
from tests.stats.synthetic_trial import Rates, make_frames, make_trial
result = analyse(make_trial(40, seed=5), load_protocol('protocols/kpt2002.yaml'))
text = results_json.dumps(result) + report.render(result)
print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_it_gives_the_same_bytes_in_processes_with_other_hash_seeds() -> None:
    root = Path(__file__).resolve().parents[2]
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", DIGEST_SCRIPT],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(run.stdout.strip())
    assert len(digests) == 1


def test_it_draws_intervals_that_touch_zero_and_one() -> None:
    # 7 per arm, everyone relapses: 0 of 7 abstinent, where statsmodels' Wilson lower limit
    # comes out 2.8e-17 above the point.
    frames = make_frames(
        14, seed=2, rates=Rates(relapse=(0.95, 0.95), lost=0, withdrawn=0, died=0, missed=0)
    )
    result = analyse(frames, PROTOCOL, fit_mixed_models=False)
    last = result.primary.abstinence_ci[-1]
    assert [(p.n, p.N) for p in last] == [(0, 7), (0, 7)]
    assert all(p.ci95 is not None and p.ci95[0] == 0.0 for p in last)
    html = report.render(result)
    assert html.count("<svg") == 8 - 1  # no craving figure: models not fitted
