"""The demo's parts that need no run: the K-site protocol, the clock, logins, entries."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments import ColourTestAnswers
from psytrial.core.protocol import parse_protocol
from psytrial.core.roles import Role
from psytrial.demo.entries import entering_handle, raw_data
from psytrial.demo.environment import DemoSetupError, prepare
from psytrial.demo.options import REFERENCE_PROTOCOL, DemoOptions, DemoPaths
from psytrial.demo.protocol_variant import multi_site_text
from psytrial.demo.simclock import Agenda, SimClock, moment
from psytrial.demo.users import demo_password
from psytrial.sim.records import Entry

TEXT = REFERENCE_PROTOCOL.read_text()
START = datetime(1996, 1, 1, 9, 0, tzinfo=UTC)


def test_it_keeps_the_reference_protocol_for_one_site() -> None:
    assert multi_site_text(TEXT, 1) == TEXT


def test_it_derives_k_sites_stratified_by_site_and_nothing_else() -> None:
    original = parse_protocol(TEXT)
    variant = parse_protocol(multi_site_text(TEXT, 4))
    assert [s.id for s in variant.sites] == ["spb", "site02", "site03", "site04"]
    assert variant.sites[0] == original.sites[0]
    assert variant.randomization.strata == ("sex", "site")
    assert len(variant.stratum_labels()) == 8
    unchanged = set(type(original).model_fields) - {"sites", "randomization"}
    for name in unchanged:
        assert getattr(variant, name) == getattr(original, name), name


def test_it_refuses_zero_sites() -> None:
    with pytest.raises(ProtocolError, match="expected at least 1 site, got 0"):
        multi_site_text(TEXT, 0)


def test_it_moves_the_clock_forward_only() -> None:
    clock = SimClock(START)
    clock.reach(START + timedelta(hours=2))
    assert clock.reach(START) == START + timedelta(hours=2)
    assert clock.today() == date(1996, 1, 1)


def test_it_runs_the_agenda_in_time_order_first_scheduled_first() -> None:
    clock = SimClock(START)
    agenda, seen = Agenda(clock), []
    later = START + timedelta(days=3)
    agenda.at(later, lambda: seen.append(("b", clock.now())))
    agenda.at(later, lambda: seen.append(("c", clock.now())))
    agenda.at(
        START + timedelta(days=1),
        lambda: (
            seen.append(("a", clock.now())),
            agenda.at(START + timedelta(days=2), lambda: seen.append(("a2", clock.now()))),
        ),
    )
    agenda.run()
    assert [name for name, _ in seen] == ["a", "a2", "b", "c"]
    assert [at for _, at in seen] == sorted(at for _, at in seen)


def test_it_runs_each_simulated_day_inside_one_context() -> None:
    clock = SimClock(START)
    agenda, seen = Agenda(clock), []
    days: list[list[str]] = []

    @contextmanager
    def each_day() -> Iterator[None]:
        days.append([])
        yield
        seen.extend(days[-1])

    def step(name: str, then: timedelta | None = None) -> Callable[[], None]:
        def run() -> None:
            days[-1].append(name)
            if then is not None:  # a step that schedules another one
                agenda.at(clock.now() + then, step(name + "+"))
        return run

    agenda.at(START + timedelta(hours=1), step("a", then=timedelta(hours=2)))
    agenda.at(START + timedelta(hours=2), step("b", then=timedelta(days=1)))
    agenda.at(START + timedelta(days=2), step("c"))
    agenda.run(each_day=each_day)
    assert days == [["a", "b", "a+"], ["b+"], ["c"]]
    assert seen == ["a", "b", "a+", "b+", "c"]


def test_it_makes_times_of_day_in_utc() -> None:
    assert moment(date(1996, 1, 8), time(9, 30)) == datetime(1996, 1, 8, 9, 30, tzinfo=UTC)


def test_it_derives_the_same_passwords_from_the_same_seed() -> None:
    assert demo_password(2002, "dsmb") == demo_password(2002, "dsmb")
    assert demo_password(2002, "dsmb") != demo_password(2003, "dsmb")
    assert demo_password(2002, "dsmb") != demo_password(2002, "monitor")
    password = demo_password(2002, "investigator.spb")
    assert len(password) == 19 and password.count("-") == 3
    validate_password(password)  # the installation's password policy


def test_it_turns_answers_into_entry_form_data() -> None:
    colours = ColourTestAnswers(ranking=("red", "blue"), assignments={"myself": "blue"})
    assert raw_data(colours) == {"rank_1": "red", "rank_2": "blue", "concept_myself": "blue"}
    assert raw_data(61.5) == {"value": 61.5}
    assert raw_data(
        {"time": time(9, 50), "consent_date": date(1996, 1, 8), "note": None, "oriented": True}
    ) == {"time": "09:50", "consent_date": "1996-01-08", "oriented": True}


@pytest.mark.parametrize(
    ("instrument", "answers", "prefer", "handle"),
    [
        ("hrs", {"som_01": 2}, None, "psychotherapist"),
        ("craving", 40.0, None, "rater"),
        ("followup", {"heroin_use": False}, None, "rater"),
        ("vitals", {"heart_rate": 80}, None, "clinician"),
        ("baseline", {"age": 30}, None, "investigator"),
        ("blinding_guess", {"guesser_role": "participant"}, None, "psychotherapist"),
        ("blinding_guess", {"guesser_role": "therapist"}, None, "psychotherapist"),
        ("blinding_guess", {"guesser_role": "rater"}, None, "rater"),
        ("adverse_event", {"term": "Nausea"}, Role.SESSION_CLINICIAN, "clinician"),
        ("adverse_event", {"term": "Nausea"}, None, "investigator"),
    ],
)
def test_it_has_each_entry_made_by_the_role_the_forms_table_names(
    instrument: str, answers: object, prefer: Role | None, handle: str
) -> None:
    protocol = parse_protocol(TEXT)
    assert entering_handle(protocol, Entry(instrument, answers), prefer) == handle  # type: ignore[arg-type]


def test_it_refuses_a_folder_with_a_study_database(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite3").write_bytes(b"not empty")
    with pytest.raises(
        DemoSetupError,
        match=r"^--out: expected a folder without a study "
        r"database, got .*db.sqlite3 \(9 bytes\)",
    ):
        prepare(DemoOptions(out=tmp_path))


def test_it_refuses_a_file_as_the_output_folder(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(DemoSetupError, match="--out: expected a folder, got the file"):
        prepare(DemoOptions(out=target))


def test_it_refuses_a_busy_port_before_running_anything(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(
            DemoSetupError,
            match=f"--port: expected a free port on 127.0.0.1 to serve the demo, got {port} in use",
        ):
            prepare(DemoOptions(out=tmp_path / "out", port=port))
    assert not (tmp_path / "out").exists()


def test_it_reopens_the_database_it_ran_on_and_hides_passwords(tmp_path: Path) -> None:
    own = DemoPaths(tmp_path)
    assert own.url() == f"sqlite:///{tmp_path / 'db.sqlite3'}"
    given = DemoPaths(tmp_path, "postgres://demo:s3cret@127.0.0.1:5432/trial")
    assert given.url() == "postgres://demo:s3cret@127.0.0.1:5432/trial"
    assert given.shown_url() == "postgres://demo:***@127.0.0.1:5432/trial"
