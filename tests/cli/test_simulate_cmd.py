"""`psytrial simulate power`: the table, the files, and one-line errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from psytrial.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["simulate", "power", "--protocol", str(ROOT / "protocols" / "kpt2002.yaml"),
        "--scenario", str(ROOT / "scenarios" / "kpt2002.yaml")]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_it_writes_the_power_table_curve_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([*ARGS, "--n-per-arm", "10,35", "--reps", "400", "--out",
                        str(tmp_path)], capsys)
    assert code == 0 and "Schoenfeld" in out
    data = json.loads((tmp_path / "power.json").read_text())
    assert [row["n_per_arm"] for row in data["rows"]] == [[10, 10], [35, 35]]
    assert data["scenario"]["labels"] == ["low", "high"]
    powers = [row["logrank_power"] for row in data["rows"]]
    assert powers[0] < powers[1]  # more participants, more power (true effect in the scenario)
    ET.fromstring((tmp_path / "power.svg").read_text())
    assert "| 35 + 35 |" in (tmp_path / "power.md").read_text()


def test_the_same_seed_gives_the_same_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        run([*ARGS, "--n-per-arm", "20", "--reps", "300", "--seed", "9", "--out",
             str(tmp_path / name)], capsys)
    assert (tmp_path / "a" / "power.json").read_bytes() == (
        tmp_path / "b" / "power.json").read_bytes()


@pytest.mark.parametrize(("extra", "message"), [
    (["--n-per-arm", "ten"], "--n-per-arm: expected whole numbers separated by commas"),
    (["--n-per-arm", "1"], "--n-per-arm: expected sizes of at least 2"),
    (["--control", "placebo"], "--control: expected one of high, low, got 'placebo'"),
])
def test_it_reports_bad_options_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, _, err = run([*ARGS, "--reps", "100", "--out", str(tmp_path), *extra], capsys)
    assert code == 2 and message in err and err.count("\n") == 1
