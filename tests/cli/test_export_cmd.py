"""`psytrial export` and `psytrial analyse` on a trial run through the action functions: the
files load back, blinded until the database lock, one-line user errors, audited runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from psytrial.cli.analyse_cmd import analyse
from psytrial.cli.errors import run_reporting_errors
from psytrial.cli.export_cmd import export
from psytrial.core.roles import Role
from psytrial.stats.blinded import keyed_permutation
from psytrial.stats.tables import load_tables
from psytrial.web.audit.models import AuditEntry
from psytrial.web.exports.access import blind_key
from psytrial.web.quality.lock import lock_study
from tests.web.personas import Personas, make_study, personas
from tests.web.test_pharmacy_support import (
    SimClock,
    arm,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
)
from tests.web.test_quality_support import SmallTrial, cohort, small_trial

pytestmark = pytest.mark.django_db
LABELS = ("Group A", "Group B")

app = typer.Typer()
app.command("export")(export)
app.command("analyse")(analyse)


def _run(*args: str) -> int:
    return run_reporting_errors(app, list(args))


@pytest.fixture
def people(db: None) -> Personas:
    return personas(make_study())


@pytest.fixture
def trial(people: Personas, clock_at: SimClock) -> SmallTrial:
    return small_trial(people, clock_at)


def test_it_exports_blinded_tables_instrument_files_and_the_dictionary(
    people: Personas, trial: SmallTrial, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("export", "--out", str(tmp_path)) == 0
    assert "blinded; arms Group A, Group B" in capsys.readouterr().out
    tables = load_tables(tmp_path, LABELS)
    assert len(tables.participants) == 2 and set(tables.participants["arm"]) == set(LABELS)
    assert (tmp_path / "instruments" / "baseline.csv").is_file()
    assert (
        (tmp_path / "data_dictionary.csv")
        .read_text()
        .startswith("variable,label,type,range,unit,instrument,visit\n")
    )
    assert AuditEntry.objects.filter(action="export.tidy", actor="operator").count() == 1


def test_the_blinded_labels_are_the_pipelines_blinded_labels(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    assert _run("export", "--out", str(tmp_path)) == 0
    exported = load_tables(tmp_path, LABELS).participants.set_index("participant_id")["arm"]
    pipeline = keyed_permutation(blind_key(people.study), people.study.code, ["high", "low"])
    for p in (trial.high, trial.low):
        assert exported[p.code] == pipeline[arm(people, p)]


def test_unblinded_is_refused_until_the_lock_in_one_line(
    people: Personas, trial: SmallTrial, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("export", "--out", str(tmp_path), "--unblinded") == 2
    err = capsys.readouterr().err
    assert err.startswith("psytrial: error: expected a locked database") and err.count("\n") == 1
    assert not list(tmp_path.glob("*.csv"))
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    assert _run("export", "--out", str(tmp_path), "--unblinded", "--study", "kpt2002") == 0
    arms = load_tables(tmp_path, ("high", "low")).participants.set_index("participant_id")["arm"]
    assert arms[trial.high.code] == "high" and arms[trial.low.code] == "low"


def test_an_unknown_study_is_one_line(
    people: Personas, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("export", "--out", str(tmp_path), "--study", "nope") == 2
    assert capsys.readouterr().err == (
        "psytrial: error: --study: expected one of the studies in the database (kpt2002), "
        "got 'nope'\n"
    )


def test_it_analyses_blinded_before_the_lock_and_unblinded_after(
    people: Personas, clock_at: SimClock, tmp_path: Path
) -> None:
    group = cohort(people, clock_at, 8)
    assert _run("analyse", "--out", str(tmp_path / "blind")) == 0
    results = json.loads((tmp_path / "blind" / "results.json").read_text())
    assert results["n_randomized"] == len(group) and set(results["arms"]) == set(LABELS)
    html = (tmp_path / "blind" / "report.html").read_text()
    assert "Ketamine 2.0 mg/kg" not in html and '"high"' not in json.dumps(results)
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    assert _run("analyse", "--out", str(tmp_path / "final")) == 0
    final = json.loads((tmp_path / "final" / "results.json").read_text())
    assert set(final["arms"]) == {"high", "low"}
    runs = AuditEntry.objects.filter(action="analysis.run").values_list("object_id", flat=True)
    assert list(runs) == ["blinded", "unblinded"]
