"""`psytrial randomization generate` and `psytrial randomization verify`.

The list file is the sealed allocation: keep it where only the randomization statistician can
read it. The commitment printed with it may be published before enrolment.
"""

from __future__ import annotations

from pathlib import Path

import typer

from psytrial.core.allocation import (
    SeededSource,
    commitment,
    from_csv,
    generate_from,
    to_csv,
    verify,
)
from psytrial.core.errors import AllocationError
from psytrial.core.protocol import load_protocol
from psytrial.core.protocol.adapters import allocation_parameters

randomization_app = typer.Typer(help="Generate and verify sealed allocation lists.",
                                no_args_is_help=True)


@randomization_app.command("generate")
def generate(
    protocol: Path = typer.Option(..., "--protocol", help="protocol YAML file"),
    n: int = typer.Option(..., "--n", min=1, help="slots to generate for EACH stratum"),
    out: Path = typer.Option(..., "--out", help="where to write the sealed list (CSV)"),
    seed: int | None = typer.Option(
        None, "--seed", min=0,
        help="reproducible mode: the same seed gives a byte-identical list "
             "(default: the system's cryptographic random source, not reproducible)"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing list file"),
) -> None:
    """Generate a stratified permuted-block list from a protocol and print its commitment."""
    if out.exists() and not force:
        raise AllocationError(f"{out}: expected a new file, but it exists (use --force)")
    plan = load_protocol(protocol)
    source = SeededSource(seed) if seed is not None else None
    allocation = generate_from(allocation_parameters(plan, n), source)
    text = to_csv(allocation)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    out.chmod(0o600)
    strata = plan.stratum_labels()
    typer.echo(f"wrote {len(allocation.slots)} slots ({n} in each of {len(strata)} strata: "
               f"{', '.join(strata)}) to {out}")
    typer.echo(f"commitment (SHA-256, publish before enrolment): {commitment(allocation)}")
    if seed is None:
        typer.echo("made with the system random source: it cannot be regenerated, only its "
                   "commitment checked")


@randomization_app.command("verify")
def verify_cmd(
    list_file: Path = typer.Option(..., "--list", help="the sealed list (CSV)"),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="regenerate from this seed (default: the list's own)"),
    expected: str | None = typer.Option(None, "--commitment",
                                        help="the published SHA-256 commitment"),
    protocol: Path | None = typer.Option(
        None, "--protocol", help="also check the list's arms and strata against a protocol"),
) -> None:
    """Check a list: every line, regeneration from the seed, and the published commitment."""
    text = list_file.read_text(encoding="utf-8")
    report = verify(text, seed=seed, expected_commitment=expected)
    problems = list(report.problems)
    if protocol is not None:
        problems += _against_protocol(text, protocol)
    typer.echo(f"commitment: {report.commitment}"
               + ("" if report.commitment_matches is None
                  else " (matches)" if report.commitment_matches else " (DOES NOT MATCH)"))
    if report.regenerated:
        typer.echo("regenerated from the seed: "
                   + ("identical, byte for byte" if report.identical else "DIFFERENT"))
    if report.first_difference is not None:
        d = report.first_difference
        typer.echo(f"first difference at line {d.line}: expected {d.expected!r}, got {d.got!r}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    if problems:
        raise AllocationError(f"{list_file}: verification failed: " + "; ".join(problems))
    typer.echo(f"{list_file}: verified")


def _against_protocol(text: str, protocol_file: Path) -> list[str]:
    plan = load_protocol(protocol_file)
    try:
        parameters = from_csv(text).parameters
    except AllocationError:
        return []  # already reported by verify()
    wanted = allocation_parameters(plan, parameters.n_per_stratum)
    problems = []
    if parameters.arms != wanted.arms:
        problems.append(f"arms: expected {wanted.arms} from the protocol, got {parameters.arms}")
    if parameters.strata != wanted.strata:
        problems.append(f"strata: expected {wanted.strata}, got {parameters.strata}")
    if parameters.study_id != wanted.study_id:
        problems.append(f"study: expected {wanted.study_id!r}, got {parameters.study_id!r}")
    return problems
