"""`psytrial protocol validate FILE` and `psytrial protocol show FILE`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from psytrial.core.protocol import Protocol, load_protocol

protocol_app = typer.Typer(help="Check and show protocol files.", no_args_is_help=True)


@protocol_app.command("validate")
def validate(file: Path = typer.Argument(..., help="protocol YAML file")) -> None:
    """Validate a protocol file; print one located line per problem found."""
    protocol = load_protocol(file)
    typer.echo(
        f"{file}: valid protocol {protocol.study.id} version {protocol.study.version} "
        f"({len(protocol.arms)} arms, {len(protocol.schedule)} visits, "
        f"{len(protocol.instruments)} instruments)"
    )


@protocol_app.command("show")
def show(file: Path = typer.Argument(..., help="protocol YAML file")) -> None:
    """Print the trial plan: arms, blinding, strata, schedule and instruments per visit."""
    print_plan(load_protocol(file), Console())


def print_plan(protocol: Protocol, console: Console) -> None:
    study = protocol.study
    console.print(f"[bold]{study.title}[/bold]  ({study.id}, protocol version {study.version})")
    if study.reference:
        console.print(study.reference)
    console.print(_arms_table(protocol))
    console.print(_roles_table(protocol))
    strata = protocol.stratum_labels()
    console.print(f"Randomization: permuted blocks of {_block_sizes(protocol)}, "
                  f"{len(strata)} strata: {', '.join(strata)}")
    console.print(_schedule_table(protocol))
    if protocol.unscheduled_instruments:
        console.print("Unscheduled forms: " + ", ".join(protocol.unscheduled_instruments))
    primary = protocol.outcomes.primary
    console.print(
        f"Primary outcome: {primary.label}; lost to follow-up counted as "
        f"{primary.lost_to_follow_up} (sensitivity: {primary.sensitivity}); abstinence at "
        f"months {', '.join(map(str, primary.abstinence_months))}"
    )
    for outcome in protocol.outcomes.secondary:
        console.print(f"Secondary outcome: {outcome.label} ({outcome.instrument})")


def _block_sizes(protocol: Protocol) -> str:
    unit = sum(arm.ratio for arm in protocol.arms)
    return "/".join(str(m * unit) for m in protocol.randomization.block_multipliers)


def _arms_table(protocol: Protocol) -> Table:
    table = Table(title="Arms")
    for column in ("arm", "label", "ratio", "drug", "dose", "stock"):
        table.add_column(column)
    for arm in protocol.arms:
        dose = f"{arm.dose.mg_per_kg:g} mg/kg {arm.route}" if arm.dose else "-"
        stock = f"{arm.stock_mg_per_ml:g} mg/ml" if arm.stock_mg_per_ml else "-"
        table.add_row(arm.id, arm.label, str(arm.ratio), arm.drug or "none", dose, stock)
    return table


def _roles_table(protocol: Protocol) -> Table:
    from psytrial.core.roles import Role

    table = Table(title=f"Blinding ({protocol.blinding.design.replace('_', '-')})")
    table.add_column("role")
    table.add_column("status")
    for role in Role:
        table.add_row(role.value, protocol.blinding.status(role).value.replace("_", " "))
    return table


def _schedule_table(protocol: Protocol) -> Table:
    table = Table(title="Visit schedule")
    for column in ("visit", "label", "phase", "day", "window", "instruments"):
        table.add_column(column)
    for visit in protocol.schedule:
        names = [protocol.instrument(i).id + ("*" if protocol.instrument(i).reveals_arm else "")
                 for i in visit.instruments]
        day = f"{visit.anchor} {visit.offset_days:+d}"
        window = f"-{visit.window.before}/+{visit.window.after}"
        table.add_row(visit.id, visit.label, visit.phase, day, window, ", ".join(names))
    table.caption = "* reveals the arm by its content: hidden from outcome raters"
    return table
