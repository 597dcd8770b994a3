"""The command line: protocol and randomization commands, and one-line user errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from psytrial.cli.main import main

PROTOCOL = str(Path(__file__).resolve().parents[2] / "protocols" / "kpt2002.yaml")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_it_validates_a_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["protocol", "validate", PROTOCOL], capsys)
    assert code == 0
    assert "valid protocol kpt2002 version 1.0 (2 arms, 31 visits" in out


def test_it_shows_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["protocol", "show", PROTOCOL], capsys)
    assert code == 0
    for text in ("Ketamine 2.0 mg/kg IM", "m24", "hrs*", "sex=male", "outcome_rater"):
        assert text in out


def test_it_reports_a_broken_protocol_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(Path(PROTOCOL).read_text().replace("mg_per_kg: 0.2", "mg_per_kg: -0.2"))
    code, out, err = run(["protocol", "validate", str(broken)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("psytrial: error: broken.yaml:")
    assert "arms[1].dose.mg_per_kg: expected a positive number, got -0.2" in err
    assert "Traceback" not in err


def test_it_reports_a_usage_error_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["randomization", "generate", "--protocol", PROTOCOL, "--n", "zero",
                        "--out", "x.csv"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "--n" in err and "Traceback" not in err


def test_it_generates_byte_identical_lists_from_one_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in paths:
        code, out, _ = run(["randomization", "generate", "--protocol", PROTOCOL, "--n", "40",
                            "--seed", "2002", "--out", str(path)], capsys)
        assert code == 0 and "commitment (SHA-256" in out
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert oct(paths[0].stat().st_mode & 0o777) == "0o600"


def test_it_refuses_to_overwrite_a_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.csv"
    path.write_text("keep me")
    code, _, err = run(["randomization", "generate", "--protocol", PROTOCOL, "--n", "4",
                        "--out", str(path)], capsys)
    assert code == 2 and "exists (use --force)" in err
    assert path.read_text() == "keep me"


def test_it_verifies_a_list_and_its_commitment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.csv"
    _, out, _ = run(["randomization", "generate", "--protocol", PROTOCOL, "--n", "20",
                     "--seed", "5", "--out", str(path)], capsys)
    published = out.split("enrolment): ")[1].split()[0]
    code, out, _ = run(["randomization", "verify", "--list", str(path), "--commitment",
                        published, "--protocol", PROTOCOL], capsys)
    assert code == 0
    assert "(matches)" in out and "identical, byte for byte" in out


def test_it_detects_a_tampered_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.csv"
    _, out, _ = run(["randomization", "generate", "--protocol", PROTOCOL, "--n", "20",
                     "--seed", "5", "--out", str(path)], capsys)
    published = out.split("enrolment): ")[1].split()[0]
    lines = path.read_text().splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("sex=male,1,"))
    swapped = "low" if ",high," in lines[row] else "high"
    lines[row] = lines[row].replace(",high,", f",{swapped},").replace(",low,", f",{swapped},")
    path.write_text("".join(lines))
    code, out, err = run(["randomization", "verify", "--list", str(path), "--commitment",
                          published], capsys)
    assert code == 2
    assert "DOES NOT MATCH" in out
    assert "verification failed" in err


def test_it_refuses_a_list_for_another_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.csv"
    other = str(Path(PROTOCOL).with_name("kpt2007.yaml"))
    run(["randomization", "generate", "--protocol", other, "--n", "6", "--seed", "1",
         "--out", str(path)], capsys)
    code, _, err = run(["randomization", "verify", "--list", str(path), "--protocol", PROTOCOL],
                       capsys)
    assert code == 2 and "arms: expected" in err
