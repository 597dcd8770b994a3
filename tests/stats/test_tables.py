"""Loading and validating the tidy tables: the fixture loads, every kind of bad input fails
with one line that says where and what."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.tables import (
    SCHEMAS,
    TABLE_NAMES,
    TrialTables,
    empty_frame,
    load_tables,
    validate,
    write_tables,
)
from psytrial.stats.tables_cells import Where, as_text, parse_column
from psytrial.stats.tables_fast import column_text
from psytrial.stats.tables_schema import Column, Kind
from tests.stats.trialdata import ARMS, SMALL_TRIAL, build, history, participant


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "tables"
    shutil.copytree(SMALL_TRIAL, target)
    return target


def edit(folder: Path, table: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> None:
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    changed = change(frame)
    (frame if changed is None else changed).to_csv(path, index=False)


def set_cell(table: str, row: int, column: str, value: str):
    def change(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value

    return table, change


def load_error(folder: Path, arms=ARMS) -> str:
    with pytest.raises(DataError) as info:
        load_tables(folder, arms)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_it_loads_the_fixture_with_canonical_dtypes():
    t = load_tables(SMALL_TRIAL, ARMS)
    assert t.arms == ARMS
    assert {name: len(frame) for name, frame in t.frames().items()} == {
        "participants": 10,
        "followup": 45,
        "scores": 5,
        "adverse_events": 2,
        "blinding_guesses": 4,
        "screening": 14,
    }
    p = t.participants.set_index("participant_id")
    assert p.loc["P01", "randomized_at"] == pd.Timestamp("2001-01-10")
    assert p.loc["P04", "weight_kg"] == 80.2
    assert p.loc["P01", "age"] == 25 and str(p["age"].dtype) == "Int64"
    assert pd.isna(p.loc["P01", "ended_at"]) and p.loc["P01", "end_reason"] == ""
    assert str(t.followup["visit_date"].dtype) == "datetime64[ns]"
    assert t.followup["visit_date"].isna().sum() == (t.followup["status"] == "missed").sum()
    assert t.scores["month"].isna().sum() == 3
    assert pd.isna(t.blinding_guesses["confidence"].iloc[2])


def test_it_accepts_scrambled_arm_labels_in_blinded_mode(folder):
    labels = {"high": "Group B", "low": "Group A"}
    edit(folder, "participants", lambda f: f.assign(arm=f["arm"].map(labels)))
    edit(
        folder, "blinding_guesses", lambda f: f.assign(guessed_arm=f["guessed_arm"].replace(labels))
    )
    t = load_tables(folder, ["Group A", "Group B"])
    assert sorted(set(t.participants["arm"])) == ["Group A", "Group B"]
    assert "Group B" in set(t.blinding_guesses["guessed_arm"])
    assert "unknown arm" not in str(t)


def test_it_adds_absent_optional_columns_empty(folder):
    optional = ["received_allocated", "not_received_reason", "ended_at", "end_reason",
                "not_analysed_reason"]  # fmt: skip
    edit(folder, "participants", lambda f: f.drop(columns=optional))
    t = load_tables(folder, ARMS)
    assert list(t.participants.columns) == list(SCHEMAS["participants"].names)
    assert set(t.participants["received_allocated"]) == {""}
    assert t.participants["ended_at"].isna().all()


def test_it_keeps_extra_columns_after_the_schema_columns(folder):
    edit(folder, "participants", lambda f: f.assign(education="secondary"))
    t = load_tables(folder, ARMS)
    assert list(t.participants.columns)[-1] == "education"


def test_it_round_trips_through_write_tables(folder, tmp_path):
    first = load_tables(folder, ARMS)
    write_tables(first, tmp_path / "out")
    second = load_tables(tmp_path / "out", ARMS)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    text = (tmp_path / "out" / "followup.csv").read_text()
    assert "P01,1,2001-02-10,attended,no,negative,no,yes" in text


def test_it_reads_frames_built_in_memory_like_the_csv_files():
    from_files = load_tables(SMALL_TRIAL, ARMS)
    frames = {n: pd.read_csv(SMALL_TRIAL / f"{n}.csv", dtype=str, keep_default_na=False)
              for n in TABLE_NAMES}  # fmt: skip
    # Python values instead of text: dates, numbers, None/NaN for empty cells, bools.
    p = frames["participants"]
    p["randomized_at"] = [dt.date.fromisoformat(d) for d in p["randomized_at"]]
    p["age"] = p["age"].astype(int)
    p["weight_kg"] = p["weight_kg"].astype(float)
    p["ended_at"] = [pd.Timestamp(d) if d else pd.NaT for d in p["ended_at"]]
    p["end_reason"] = [r or None for r in p["end_reason"]]
    f = frames["followup"]
    f["month"] = f["month"].astype(float)
    f["visit_date"] = [dt.datetime.fromisoformat(d) if d else None for d in f["visit_date"]]
    f["abstinent"] = [{"yes": True, "no": False}.get(v, np.nan) for v in f["abstinent"]]
    s = frames["scores"]
    s["month"] = pd.array([int(m) if m else pd.NA for m in s["month"]], dtype="Int64")
    from_frames = validate(frames, ARMS)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(from_files, name), getattr(from_frames, name))


def test_it_revalidates_a_trial_tables_object():
    t = load_tables(SMALL_TRIAL, ARMS)
    again = validate(t, ARMS)
    assert isinstance(again, TrialTables)
    pd.testing.assert_frame_equal(again.followup, t.followup)


def test_it_gives_empty_frames_with_the_schema_columns():
    frame = empty_frame("screening")
    assert list(frame.columns) == list(SCHEMAS["screening"].names) and frame.empty
    with pytest.raises(DataError, match="table: expected one of participants, .*got 'visits'"):
        empty_frame("visits")


def test_it_accepts_a_trial_with_no_rows_in_the_child_tables():
    t = build([participant("P1")], [])
    assert t.followup.empty and len(t.participants) == 1


# ---- the errors ----------------------------------------------------------------------------


def test_it_names_a_missing_file(folder):
    (folder / "followup.csv").unlink()
    assert load_error(folder) == f"missing file: followup.csv in {str(folder)!r}"


def test_it_names_a_missing_folder(tmp_path):
    message = load_error(tmp_path / "nowhere")
    assert message.startswith("tables folder: expected a folder of CSV files, got ")


def test_it_names_a_missing_table_among_frames():
    frames = {name: empty_frame(name) for name in TABLE_NAMES if name != "scores"}
    with pytest.raises(DataError, match=r"^missing table: scores \(expected tables"):
        validate(frames, ARMS)


def test_it_names_a_missing_column(folder):
    edit(folder, "followup", lambda f: f.drop(columns=["urine"]))
    assert load_error(folder).startswith("followup.csv: missing column 'urine' (expected columns")


def test_it_refuses_an_empty_file(folder):
    (folder / "scores.csv").write_text("")
    assert load_error(folder).startswith("scores.csv: expected UTF-8 CSV with a header line, got")


def test_it_refuses_a_malformed_csv(folder):
    (folder / "scores.csv").write_text('participant_id,instrument\n"P01,hrs\n')
    assert load_error(folder).startswith("scores.csv: expected UTF-8 CSV")


def test_it_refuses_something_that_is_not_a_dataframe():
    frames: dict = {name: empty_frame(name) for name in TABLE_NAMES}
    frames["scores"] = [{"participant_id": "P1"}]
    with pytest.raises(DataError, match="scores table: expected a pandas DataFrame, got list"):
        validate(frames, ARMS)


@pytest.mark.parametrize("arms", [[], ["high", "high"]])
def test_it_refuses_bad_arm_lists(arms):
    with pytest.raises(DataError, match="arms: expected distinct arm ids"):
        load_tables(SMALL_TRIAL, arms)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            set_cell("participants", 2, "arm", "medium"),
            "participants.csv row 3 (line 4) (participant P03), column arm: "
            "expected one of high|low, got 'medium'",
        ),
        (
            set_cell("participants", 1, "age", "abc"),
            "participants.csv row 2 (line 3) (participant P02), column age: "
            "expected an integer between 0 and 120, got 'abc'",
        ),
        (
            set_cell("participants", 1, "age", "31.5"),
            "participants.csv row 2 (line 3) (participant P02), column age: "
            "expected an integer between 0 and 120, got '31.5'",
        ),
        (
            set_cell("participants", 0, "weight_kg", "700"),
            "participants.csv row 1 (line 2) (participant P01), column weight_kg: "
            "expected a number between 20 and 300, got '700'",
        ),
        (
            set_cell("participants", 0, "randomized_at", "2001-13-01"),
            "participants.csv row 1 (line 2) (participant P01), column randomized_at: "
            "expected a date YYYY-MM-DD, got '2001-13-01'",
        ),
        (
            set_cell("participants", 0, "randomized_at", "10/01/2001"),
            "participants.csv row 1 (line 2) (participant P01), column randomized_at: "
            "expected a date YYYY-MM-DD, got '10/01/2001'",
        ),
        (
            set_cell("participants", 4, "site", ""),
            "participants.csv row 5 (line 6) (participant P05), column site: "
            "expected a text, got an empty cell",
        ),
        (
            set_cell("followup", 3, "status", "atended"),
            "followup.csv row 4 (line 5) (participant P01), column status: "
            "expected one of attended|missed, got 'atended'",
        ),
        (
            set_cell("followup", 0, "month", "0"),
            "followup.csv row 1 (line 2) (participant P01), column month: "
            "expected an integer >= 1, got '0'",
        ),
        (
            set_cell("blinding_guesses", 1, "guessed_arm", "placebo"),
            "blinding_guesses.csv row 2 (line 3) (participant P01), column guessed_arm: "
            "expected one of high|low|dont_know, got 'placebo'",
        ),
        (
            set_cell("screening", 1, "eligible", "maybe"),
            "screening.csv row 2 (line 3), column eligible: expected one of yes|no, got 'maybe'",
        ),
        (
            set_cell("scores", 0, "value", "high"),
            "scores.csv row 1 (line 2) (participant P01), column value: "
            "expected a number, got 'high'",
        ),
    ],
)
def test_it_names_file_row_column_expected_and_got_for_a_bad_cell(folder, change, expected):
    edit(folder, *change)
    assert load_error(folder) == expected


def test_it_names_the_participant_and_month_of_a_visit_before_randomization(folder):
    edit(folder, *set_cell("followup", 6, "visit_date", "2001-01-01"))
    assert load_error(folder) == (
        "followup.csv row 7 (line 8) (participant P02): month 1 visit dated 2001-01-01, "
        "expected on or after randomization (2001-01-17)"
    )


def test_it_refuses_a_duplicate_participant_month(folder):
    edit(folder, "followup", lambda f: pd.concat([f, f.iloc[[8]]], ignore_index=True))
    assert load_error(folder) == (
        "followup.csv row 46 (line 47) (participant P02): duplicate participant_id P02, "
        "month 6 (expected one row per participant_id/month, first at row 9)"
    )


def test_it_refuses_a_duplicate_participant(folder):
    edit(folder, *set_cell("participants", 1, "participant_id", "P01"))
    message = load_error(folder)
    assert message.startswith("participants.csv row 2 (line 3) (participant P01): duplicate")
    assert message.endswith("first at row 1)")


@pytest.mark.parametrize("table", ["followup", "scores", "adverse_events", "blinding_guesses"])
def test_it_refuses_an_unknown_participant_in_a_child_table(folder, table):
    edit(folder, *set_cell(table, 1, "participant_id", "P99"))
    assert load_error(folder) == (
        f"{table}.csv row 2: unknown participant 'P99' (expected an id from the participants table)"
    )


def test_it_refuses_an_unknown_participant_in_the_screening_log(folder):
    edit(folder, *set_cell("screening", 0, "participant_id", "P99"))
    assert load_error(folder).startswith("screening.csv row 1: unknown participant 'P99'")


def test_it_refuses_a_randomized_person_who_did_not_consent(folder):
    edit(folder, *set_cell("screening", 0, "consented", "no"))
    assert load_error(folder) == (
        "screening.csv row 1 (line 2) (participant P01), column consented: "
        "expected yes for a randomized person, got 'no'"
    )


def test_it_refuses_two_screening_rows_for_one_participant(folder):
    edit(folder, *set_cell("screening", 2, "participant_id", "P01"))
    message = load_error(folder)
    assert message.startswith("screening.csv row 3 (line 4) (participant P01): expected one")


def test_it_refuses_a_participant_missing_from_a_nonempty_screening_log(folder):
    edit(folder, *set_cell("screening", 13, "participant_id", ""))
    assert load_error(folder) == (
        "screening.csv: expected a screening row for every participant, got none for P10"
    )


def test_it_refuses_an_attended_visit_without_a_date(folder):
    edit(folder, *set_cell("followup", 0, "visit_date", ""))
    assert load_error(folder) == (
        "followup.csv row 1 (line 2) (participant P01), column visit_date: "
        "expected the date of an attended visit, got an empty cell"
    )


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [("visit_date", "2001-03-05", "'2001-03-05'"), ("urine", "negative", "'negative'")],
)
def test_it_refuses_data_on_a_missed_visit(folder, column, value, shown):
    edit(folder, *set_cell("followup", 10, column, value))  # P02 month 18, missed
    assert load_error(folder) == (
        f"followup.csv row 11 (line 12) (participant P02), column {column}: "
        f"expected an empty cell for a missed visit, got {shown}"
    )


def test_it_refuses_an_end_date_before_randomization(folder):
    edit(folder, *set_cell("participants", 2, "ended_at", "2000-12-31"))
    assert load_error(folder) == (
        "participants.csv row 3 (line 4) (participant P03): expected ended_at on or after "
        "randomization (2001-02-01), got 2000-12-31"
    )


def test_it_reports_rows_of_in_memory_tables_without_line_numbers():
    people = [participant("P1"), participant("P2", arm="placebo")]
    with pytest.raises(DataError) as info:
        build(people, history("P1", "."))
    assert str(info.value) == (
        "participants table row 2 (participant P2), column arm: "
        "expected one of high|low, got 'placebo'"
    )


def test_it_describes_each_kind_of_column_in_messages():
    assert Column("x", Kind.NUMBER, "").expected() == "a number"
    assert Column("x", Kind.INT, "", minimum=1).expected() == "an integer >= 1"
    assert Column("x", Kind.TEXT, "").expected() == "a text"
    with pytest.raises(KeyError):
        SCHEMAS["followup"].column("nope")
    assert SCHEMAS["followup"].column("urine").allowed == ("negative", "positive", "not_done")


def test_it_documents_every_table_and_column():
    doc = (Path(__file__).parents[2] / "docs" / "tidy-tables.md").read_text()
    for schema in SCHEMAS.values():
        assert f"### {schema.name} ({schema.file_name})" in doc
        section = doc.split(f"### {schema.name} (")[1].split("###")[0]
        for column in schema.columns:
            assert f"| `{column.name}` |" in section, (schema.name, column.name)
            for value in column.allowed:
                assert f"`{value}`" in section, (schema.name, column.name, value)


# ---- whole-column parsing agrees with the cell-by-cell meaning of a cell --------------------

TEXT_COLUMNS = [
    pd.Series([" P1", "P2 ", None, np.nan, pd.NA, pd.NaT, "", "  "], dtype=object),
    pd.Series(["a", "b", None], dtype="string"),
    pd.Series(["x", np.datetime64("NaT"), None], dtype=object),  # spelled out by as_text
    pd.Series(["1", 2, 3.5, True, dt.date(2001, 1, 2), np.float64("nan")], dtype=object),
    pd.Series([True, False]),
    pd.Series([], dtype=object),
]


@pytest.mark.parametrize("raw", TEXT_COLUMNS)
@pytest.mark.parametrize("kind", [Kind.TEXT, Kind.DATE])
def test_it_gives_every_cell_the_text_as_text_gives_it(raw, kind):
    assert column_text(raw, kind).tolist() == [as_text(v, kind) for v in raw]


def _parse(raw: pd.Series, column: Column) -> pd.Series:
    return parse_column(raw, column, Where("t", False, None), ARMS)


def _as_text_column(raw: pd.Series, column: Column) -> pd.Series:
    """The same cells as object text: the path every column took before the typed fast path."""
    return pd.Series([as_text(v, column.kind) for v in raw], dtype=object)


TYPED = [
    (Column("n", Kind.INT, "", nonempty=False, minimum=0), pd.Series([0, 5, 2**40])),
    (Column("n", Kind.INT, "", nonempty=False), pd.array([3, None, -2], dtype="Int64")),
    (Column("n", Kind.INT, "", nonempty=False), pd.Series([1.0, np.nan, 7.0])),
    (Column("n", Kind.INT, "", nonempty=False), pd.Series([1, 2], dtype="uint8")),
    (Column("x", Kind.NUMBER, "", nonempty=False), pd.array([0.1, None], dtype="Float64")),
    (
        Column("x", Kind.NUMBER, "", nonempty=False),
        pd.Series(np.random.default_rng(3).normal(size=2000) * 1e3),
    ),
    (
        Column("d", Kind.DATE, "", nonempty=False),
        pd.Series(pd.to_datetime(["2001-01-10 13:45", None, "1999-12-31 00:00"])),
    ),
    (
        Column("d", Kind.DATE, "", nonempty=False),
        pd.Series(np.array(["2001-03-01", "2400-01-01"], dtype="datetime64[s]")),
    ),
]


@pytest.mark.parametrize(("column", "raw"), TYPED)
def test_it_parses_typed_columns_exactly_as_their_text(column, raw):
    raw = pd.Series(raw)
    if raw.dtype.kind == "M" and raw.max() > pd.Timestamp.max:
        # Outside datetime64[ns]: left to the text path, which reports the cell.
        with pytest.raises(DataError, match="got '2400-01-01'"):
            _parse(raw, column)
        return
    pd.testing.assert_series_equal(
        _parse(raw, column), _parse(_as_text_column(raw, column), column), check_exact=True
    )


def test_it_reads_back_from_csv_exactly_the_numbers_built_in_memory(tmp_path):
    # pd.to_numeric alone returns some decimal texts one unit in the last place off.
    t = load_tables(SMALL_TRIAL, ARMS)
    frames = t.frames()
    rng = np.random.default_rng(7)
    scores = frames["scores"].copy()
    scores["value"] = rng.normal(size=len(scores)) * 10.0 ** rng.integers(-3, 4, len(scores))
    frames["scores"] = scores
    in_memory = validate(frames, ARMS)
    write_tables(in_memory, tmp_path)
    from_csv = load_tables(tmp_path, ARMS)
    np.testing.assert_array_equal(in_memory.scores["value"], scores["value"])
    np.testing.assert_array_equal(from_csv.scores["value"], scores["value"])


def _frame_error(frames: dict[str, pd.DataFrame]) -> str:
    with pytest.raises(DataError) as info:
        validate(frames, ARMS)
    return str(info.value)


def _typed_case(table: str, row: int, column: str, value: object) -> dict[str, pd.DataFrame]:
    frames = load_tables(SMALL_TRIAL, ARMS).frames()
    frame = frames[table].copy()
    values = frame[column].astype(object).to_numpy()
    values[row] = value
    # Typed as a frame built in memory would be: float64, Float64, datetime64.
    typed = pd.Series(list(values))
    if typed.dtype == object:
        typed = typed.convert_dtypes(convert_string=False, convert_boolean=False)
    frame[column] = typed
    frames[table] = frame
    return frames


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "expected"),
    [
        (
            "participants", 0, "weight_kg", 700.0,
            "participants table row 1 (participant P01), column weight_kg: "
            "expected a number between 20 and 300, got '700.0'",
        ),
        (
            "participants", 1, "age", 31.5,
            "participants table row 2 (participant P02), column age: "
            "expected an integer between 0 and 120, got '31.5'",
        ),
        (
            "followup", 0, "month", None,
            "followup table row 1 (participant P01), column month: "
            "expected an integer >= 1, got an empty cell",
        ),
        (
            "followup", 2, "month", 0,
            "followup table row 3 (participant P01), column month: "
            "expected an integer >= 1, got '0'",
        ),
        (
            "scores", 0, "value", float("inf"),
            "scores table row 1 (participant P01), column value: expected a number, got 'inf'",
        ),
        (
            "participants", 2, "randomized_at", pd.NaT,
            "participants table row 3 (participant P03), column randomized_at: "
            "expected a date YYYY-MM-DD, got an empty cell",
        ),
    ],
)  # fmt: skip
def test_it_names_the_bad_cell_of_a_typed_column_as_of_its_text(
    table, row, column, value, expected
):
    frames = _typed_case(table, row, column, value)
    assert frames[table][column].dtype != object
    assert _frame_error(frames) == expected
    # The same cells as text give the same message.
    frames[table][column] = _as_text_column(frames[table][column], SCHEMAS[table].column(column))
    assert _frame_error(frames) == expected
