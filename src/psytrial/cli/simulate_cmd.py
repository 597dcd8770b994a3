"""`psytrial simulate power`: power and sample size from a protocol and a scenario file.

The scenario's per-arm monthly relapse hazards and its dropout drive the vectorized power
engine (`psytrial.sim.power`): many trials are simulated and analysed at once (log-rank on
monthly data, Fisher's test at a chosen month), next to Schoenfeld's and Freedman's formulas.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from psytrial.core.errors import ScenarioError
from psytrial.core.protocol import Protocol, load_protocol
from psytrial.sim.cohort import dropout_probabilities, relapse_hazards
from psytrial.sim.power import ArmModel, PowerResult, PowerScenario, power_curve_svg, power_table
from psytrial.sim.scenario_load import load_scenario

simulate_app = typer.Typer(help="In-silico trials for designing the next trial.",
                           no_args_is_help=True)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ScenarioError(f"--n-per-arm: expected whole numbers separated by commas, "
                            f"got {text!r}") from None
    if not sizes or min(sizes) < 2:
        raise ScenarioError(f"--n-per-arm: expected sizes of at least 2, got {text!r}")
    return sizes


def power_scenario(protocol: Protocol, scenario_file: Path, control: str | None) -> PowerScenario:
    scenario = load_scenario(scenario_file, protocol)
    arms = [arm.id for arm in protocol.arms]
    if len(arms) != 2:
        raise ScenarioError(f"{protocol.study.id}: expected a two-arm protocol for the power "
                            f"engine, got {len(arms)} arms")
    control_id = control or arms[-1]
    if control_id not in arms:
        raise ScenarioError(f"--control: expected one of {', '.join(arms)}, got {control_id!r}")
    experimental_id = next(a for a in arms if a != control_id)
    months = protocol.outcomes.primary.horizon_months
    hazards = relapse_hazards(scenario, months)
    dropout = dropout_probabilities(scenario, months)
    return PowerScenario(
        ArmModel.from_monthly(tuple(hazards[control_id]), tuple(dropout)),
        ArmModel.from_monthly(tuple(hazards[experimental_id]), tuple(dropout)),
        (control_id, experimental_id),
    )


@simulate_app.command("power")
def power(
    protocol: Path = typer.Option(..., "--protocol", help="protocol YAML file"),
    scenario: Path = typer.Option(..., "--scenario", help="scenario YAML file"),
    n_per_arm: str = typer.Option("20,35,50", "--n-per-arm", help="sizes per arm, e.g. 20,35,50"),
    reps: int = typer.Option(10000, "--reps", min=100, help="simulated trials per size"),
    out: Path = typer.Option(Path("power-out"), "--out", help="folder for the results"),
    seed: int = typer.Option(2002, "--seed", min=0, help="seed: the same seed, the same table"),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="two-sided level"),
    fisher_month: int | None = typer.Option(None, "--fisher-month", min=1,
                                            help="month of Fisher's test (default: the last)"),
    control: str | None = typer.Option(None, "--control",
                                       help="the control arm (default: the protocol's last)"),
) -> None:
    """Simulate REPS trials at each size; write power.json, power.svg and power.md to --out."""
    plan = load_protocol(protocol)
    model = power_scenario(plan, scenario, control)
    sizes = _sizes(n_per_arm)
    console = Console()
    with Progress(TextColumn("simulating trials"), BarColumn(), TextColumn("{task.completed:,}"
                  "/{task.total:,}"), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("power", total=reps * len(sizes))
        done_before = [0]

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done_before[0] + done)
            if done == total:
                done_before[0] += total

        result = power_table(model, sizes, reps, alpha, seed, fisher_month=fisher_month,
                             progress=advance)
    out.mkdir(parents=True, exist_ok=True)
    (out / "power.json").write_text(json.dumps(result.to_dict(), indent=2, sort_keys=True)
                                    + "\n", encoding="utf-8")
    (out / "power.svg").write_text(power_curve_svg(result), encoding="utf-8")
    (out / "power.md").write_text(markdown_table(result), encoding="utf-8")
    console.print(_table(result))
    console.print(f"wrote power.json, power.svg and power.md to {out}")


def _rows(result: PowerResult) -> list[list[str]]:
    rows = []
    for row in result.rows:
        lo, hi = row.logrank_ci95
        flo, fhi = row.fisher_ci95
        rows.append([
            f"{row.n_per_arm[0]} + {row.n_per_arm[1]}",
            f"{row.logrank_power:.3f} ({lo:.3f}-{hi:.3f})",
            f"{row.fisher_power:.3f} ({flo:.3f}-{fhi:.3f})",
            f"{row.schoenfeld_power:.3f}", f"{row.freedman_power:.3f}",
            f"{row.mean_events:.1f}",
        ])
    return rows


HEADERS = ["n per arm (control + experimental)", "log-rank power (95% MC CI)",
           "Fisher power (95% MC CI)", "Schoenfeld", "Freedman", "mean events"]


def _table(result: PowerResult) -> Table:
    table = Table(title=f"Power at alpha {result.alpha} ({result.reps:,} trials per size, "
                        f"seed {result.seed}; hazard ratio {result.hazard_ratio:.3f}; Fisher "
                        f"at month {result.fisher_month})")
    for header in HEADERS:
        table.add_column(header)
    for row in _rows(result):
        table.add_row(*row)
    return table


def markdown_table(result: PowerResult) -> str:
    lines = [f"Power at alpha {result.alpha}, {result.reps:,} simulated trials per size "
             f"(seed {result.seed}); hazard ratio {result.hazard_ratio:.3f}; Fisher's test at "
             f"month {result.fisher_month}; arms {result.scenario.labels[0]} (control) and "
             f"{result.scenario.labels[1]} (experimental).", "",
             "| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(result)]
    return "\n".join(lines) + "\n"
