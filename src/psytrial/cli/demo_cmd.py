"""`psytrial demo`: the main job, run by the README's first command.

Until the in-silico trial lands (psytrial.demo), the demo does what needs no database: it
loads the reference protocol, prints the trial plan, generates the sealed allocation list for
the requested number of participants, verifies it (regeneration from the seed, commitment)
and writes both to --out.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console

from psytrial.cli.protocol_cmd import print_plan
from psytrial.core.allocation import SeededSource, commitment, generate_from, to_csv, verify
from psytrial.core.errors import AllocationError
from psytrial.core.protocol import load_protocol
from psytrial.core.protocol.adapters import allocation_parameters

REFERENCE = Path(__file__).resolve().parents[3] / "protocols" / "kpt2002.yaml"


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="folder for the demo's files"),
    seed: int = typer.Option(2002, "--seed", min=0, help="seed of the whole run"),
    participants: int = typer.Option(70, "--participants", min=2, help="people to randomize"),
    sites: int = typer.Option(1, "--sites", min=1, help="number of sites"),
    no_serve: bool = typer.Option(False, "--no-serve", help="do not start the web app after"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="port of the web app"),
    protocol_file: Path = typer.Option(REFERENCE, "--protocol", help="protocol YAML file"),
) -> None:
    """Run the reference trial's plan: protocol, plan, sealed allocation list, verification."""
    console = Console()
    protocol = load_protocol(protocol_file)
    print_plan(protocol, console)
    strata = protocol.stratum_labels()
    # Every stratum gets enough slots for the whole sample: stratum sizes are not known ahead.
    per_stratum = max(participants, math.ceil(participants / len(strata)))
    allocation = generate_from(allocation_parameters(protocol, per_stratum), SeededSource(seed))
    out.mkdir(parents=True, exist_ok=True)
    list_file = out / "allocation.csv"
    list_file.write_text(to_csv(allocation), encoding="utf-8")
    published = commitment(allocation)
    report = verify(list_file.read_text(encoding="utf-8"), expected_commitment=published)
    if not report.ok:
        raise AllocationError("demo: the generated list failed verification: "
                              + "; ".join(report.problems))
    console.print(f"Sealed allocation list: {len(allocation.slots)} slots in {len(strata)} "
                  f"strata -> {list_file}")
    console.print(f"Commitment (SHA-256): {published}")
    console.print("Verified: regenerated from the seed byte for byte, commitment matches.")
    if sites > 1 or not no_serve or port != 8000:
        console.print("[yellow]The in-silico trial and the web app are not part of this demo "
                      "yet: --sites, --port and serving take effect once they are.[/yellow]")
