"""`psytrial demo` end to end: a small seeded run, as a newcomer runs it (in a child process).

What is checked against what:
- the files and results.json's keys: the contract in shared/design.md ("results.json holds
  every number in the report. At least: ...");
- reproducibility: a second run with the same seed gives a byte-identical results.json;
- the audit trail: `psytrial audit verify` (psytrial.web.audit.trail.verify) on the run's
  database recomputes the hash chain;
- the blind at rest: every allocation slot's arm column is a Fernet token that opens, with the
  run's own seal key (DIR/keys), to an arm of the protocol; no table holds an arm next to an
  "arm" key in clear.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

from cryptography.fernet import Fernet

from psytrial.demo.users import demo_password
from tests.demo.conftest import PARTICIPANTS, SEED
from tests.demo.runs import Finished, run_psytrial

ARMS = {"high", "low"}


def _results(run: Finished) -> dict:  # type: ignore[type-arg]
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((run.out / "results.json").read_text())


def test_it_finishes_and_writes_the_report_and_the_results(small_run: Finished) -> None:
    assert small_run.returncode == 0, small_run.stderr[-3000:]
    report = (small_run.out / "report.html").read_text()
    assert report.lstrip().lower().startswith("<!doctype html")
    assert "Ketamine 2.0 mg/kg IM" in report
    assert (small_run.out / "results.json").stat().st_size > 1000
    assert "log-rank" in small_run.stdout and "Cox HR" in small_run.stdout


def test_it_writes_the_contract_keys_of_results_json(small_run: Finished) -> None:
    data = _results(small_run)
    assert data["n_randomized"] == PARTICIPANTS
    assert set(data["arms"]) == ARMS
    assert sum(arm["n"] for arm in data["arms"].values()) == PARTICIPANTS
    assert all({"label", "n"} <= set(arm) for arm in data["arms"].values())
    primary = data["primary"]
    assert {"chi2", "df", "p"} <= set(primary["logrank"])
    assert {"hr", "ci95", "p"} <= set(primary["cox"])
    for arm in ARMS:
        assert {"month", "survival", "lower", "upper", "at_risk"} <= set(primary["km"][arm])
    for month in ("1", "3", "6", "12", "18", "24"):
        row = primary["abstinent"][month]
        assert "fisher_p" in row
        assert all({"n", "N"} <= set(row[arm]) for arm in ARMS)
    for cluster in ("somaesthesia", "affect", "perception", "cognition", "volition", "intensity"):
        assert "p" in data["hrs"][cluster]
        assert all({"mean", "sd", "n"} <= set(data["hrs"][cluster][arm]) for arm in ARMS)
    for role in ("participant", "therapist", "rater"):
        assert all({"bang", "ci95"} <= set(data["blinding_index"][role][arm]) for arm in ARMS)
    assert data["consort"]["randomized"] == PARTICIPANTS
    assert data["mode"] == "unblinded"


def test_it_gives_a_byte_identical_results_json_for_the_same_seed(
    small_run: Finished, twin_run: Finished
) -> None:
    assert twin_run.returncode == 0, twin_run.stderr[-3000:]
    first = (small_run.out / "results.json").read_bytes()
    assert first == (twin_run.out / "results.json").read_bytes()


def test_it_leaves_an_audit_trail_that_verifies(small_run: Finished) -> None:
    assert small_run.returncode == 0
    done = run_psytrial(["audit", "verify"], env=small_run.env)
    assert done.returncode == 0, done.stderr
    entries = int(re.search(r"intact: (\d+) entries", done.stdout).group(1))  # type: ignore[union-attr]
    assert entries > 500  # every action of the run left an entry


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as con:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        return {n: con.execute(f'select * from "{n}"').fetchall() for n in names}


def test_it_keeps_every_arm_sealed_in_the_database(small_run: Finished) -> None:
    assert small_run.returncode == 0
    db = small_run.out / "db.sqlite3"
    key = (small_run.out / "keys" / "seal_key.fernet").read_text().strip()
    with sqlite3.connect(db) as con:
        slots = con.execute(
            "select kit_code, arm_sealed, participant_id from randomization_allocationslot"
        ).fetchall()
    assert len(slots) >= PARTICIPANTS
    opened = [json.loads(Fernet(key.encode()).decrypt(token.encode())) for _, token, _ in slots]
    assert {o["arm"] for o in opened} == ARMS
    assert all(token.startswith("gAAAAA") for _, token, _ in slots)
    in_clear = re.compile(r'"arm"\s*:\s*"(high|low)"')
    for table, rows in _tables(db).items():
        for row in rows:
            assert not in_clear.search(" ".join(map(str, row))), (table, row)


def test_it_prints_each_roles_login(small_run: Finished) -> None:
    assert small_run.returncode == 0
    text = small_run.stdout
    for username in (
        "investigator.spb",
        "pharmacist.spb",
        "pharmacist2.spb",
        "dsmb",
        "datamanager",
        "statistician",
        "randomizer",
        "rater.spb",
    ):
        assert username in text
        assert demo_password(SEED, username) in text
    assert f"PSYTRIAL_HOME={small_run.out / 'keys'}" in text


def test_it_refuses_an_existing_database_without_force(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").write_bytes(b"SQLite format 3\x00 not empty")
    done = run_psytrial(["demo", "--out", str(tmp_path), "--no-serve", "--participants", "4"])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("psytrial: error: --out: expected a folder without a study database")
    assert "--force" in lines[0]


def test_it_runs_a_two_site_variant(two_site_run: Finished) -> None:
    data = _results(two_site_run)
    assert data["n_randomized"] == PARTICIPANTS
    protocol = (two_site_run.out / "protocol.yaml").read_text()
    assert "DEMO VARIANT" in protocol and "strata: [sex, site]" in protocol
    with (two_site_run.out / "analysis-tables" / "participants.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == PARTICIPANTS
    assert {row["site"] for row in rows} == {"spb", "site02"}
    assert all(row["stratum"].endswith(f"site={row['site']}") for row in rows)
    assert "investigator.site02" in two_site_run.stdout


EXPECTED_ACTORS = {
    "allocation_list.generated": {"randomizer"},
    "participant.screened": {"investigator.spb"},
    "participant.randomized": {"investigator.spb"},
    "dose.prepared": {"pharmacist.spb"},
    "dose.checked": {"pharmacist2.spb"},
    "dose.administered": {"clinician.spb"},
    "query.raised": {"datamanager"},
    "query.closed": {"datamanager"},
    "study.locked": {"datamanager"},
    "export.analysis": {"statistician"},
}
EXPECTED_ENTRY = {
    "eligibility": {"investigator.spb"},
    "baseline": {"investigator.spb"},
    "hrs": {"psychotherapist.spb"},
    "vitals": {"clinician.spb"},
    "followup": {"rater.spb"},
    "craving": {"rater.spb"},
}


def test_it_takes_every_step_as_the_role_that_does_it(small_run: Finished) -> None:
    assert small_run.returncode == 0
    with sqlite3.connect(small_run.out / "db.sqlite3") as con:
        actors: dict[str, set[str]] = {}
        for action, actor in con.execute("select action, actor from audit_auditentry"):
            actors.setdefault(action, set()).add(actor)
        saved_by: dict[str, set[str]] = {}
        for instrument, username in con.execute(
            "select r.instrument_id, u.username from forms_formversion v "
            "join forms_formrecord r on r.id = v.record_id "
            "join auth_user u on u.id = v.saved_by_id"
        ):
            saved_by.setdefault(instrument, set()).add(username)
        guesses = dict(
            con.execute(
                "select r.variant, u.username from forms_formversion v "
                "join forms_formrecord r on r.id = v.record_id join auth_user u "
                "on u.id = v.saved_by_id where r.instrument_id = 'blinding_guess'"
            )
        )
        sessions = con.execute("select count(*) from pharmacy_administration").fetchone()[0]
        audited = con.execute(
            "select count(*) from audit_auditentry where action = 'dose.administered'"
        ).fetchone()[0]
    for action, expected in EXPECTED_ACTORS.items():
        assert actors.get(action) == expected, action
    for instrument, expected in EXPECTED_ENTRY.items():
        assert saved_by.get(instrument) == expected, instrument
    assert guesses == {
        "participant": "psychotherapist.spb",
        "therapist": "psychotherapist.spb",
        "rater": "rater.spb",
    }
    assert sessions == audited > 0
