"""What the demo prints at the end: the result in a few lines, the files, the logins.

Every number comes from the analysis result's JSON (`results_json.as_dict`), the same
numbers as results.json and report.html. The logins (also written to DIR/logins.txt, readable
by the owner only) are printed with the command that reopens the study later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from psytrial.demo.options import DemoPaths
from psytrial.demo.state import Tally
from psytrial.demo.users import Login
from psytrial.stats import results_json
from psytrial.stats.pipeline import AnalysisResult

BLIND = {
    "pharmacist": "unblinded",
    "randomization_statistician": "unblinded",
    "dsmb_member": "unblinded",
    "trial_statistician": "after lock",
}


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 0.001 else f"{value:.{digits}f}"
    return str(value)


def summary_table(data: Mapping[str, Any]) -> Table:
    primary = data["primary"]
    table = Table(title="Result (primary analysis: lost to follow-up counted as relapse)")
    table.add_column("arm")
    table.add_column("randomized", justify="right")
    table.add_column("relapses", justify="right")
    months = [m for m in ("12", "24") if m in primary["abstinent"]]
    for month in months:
        table.add_column(f"abstinent at {month} months", justify="right")
    for arm_id in data["arm_order"]:
        arm = data["arms"][arm_id]
        cells = [f"{arm['label']} ({arm_id})", str(arm["n"]), str(primary["events"][arm_id])]
        for month in months:
            cell = primary["abstinent"][month].get(arm_id) or {}
            cells.append(f"{cell.get('n', 'n/a')}/{cell.get('N', 'n/a')}")
        table.add_row(*cells)
    return table


def tests_line(data: Mapping[str, Any]) -> str:
    primary = data["primary"]
    logrank, cox = primary.get("logrank"), primary.get("cox")
    parts = []
    if logrank:
        parts.append(
            f"log-rank chi2 = {_number(logrank['chi2'])} (df {logrank['df']}), "
            f"p = {_number(logrank['p'])}"
        )
    if cox:
        low, high = cox["ci95"]
        parts.append(
            f"Cox HR {cox['compared']} vs {cox['reference']} = {_number(cox['hr'])} "
            f"(95% CI {_number(low)} to {_number(high)}), p = {_number(cox['p'])}"
        )
    return "; ".join(parts) or "no test could be computed on these data"


def print_summary(
    console: Console, result: AnalysisResult, tally: Tally, paths: DemoPaths, commitment: str
) -> dict[str, Any]:
    data = results_json.as_dict(result)
    console.print()
    console.print(summary_table(data))
    console.print(tests_line(data))
    console.print(
        f"Screened {tally.screened}: {tally.ineligible} ineligible, "
        f"{tally.declined_consent} declined consent, {tally.randomized} randomized; "
        f"{tally.sessions} drug sessions ({tally.safety_alerts} safety alerts), "
        f"{tally.followup_done} follow-up visits done, {tally.followup_missed} missed; "
        f"{tally.withdrawn} withdrawn, {tally.lost} lost; {tally.adverse_events} "
        f"adverse events ({tally.serious_adverse_events} serious); "
        f"{tally.queries_raised} queries raised and closed; {tally.actions} actions."
    )
    console.print(f"Allocation list commitment (SHA-256): {commitment}", soft_wrap=True)
    console.print(f"Report:   {paths.report}", soft_wrap=True)
    console.print(f"Results:  {paths.results}", soft_wrap=True)
    console.print(f"Database: {paths.shown_url()}  (keys in {paths.keys})", soft_wrap=True)
    return data


def logins_table(logins: list[Login]) -> Table:
    """Each login's role, site, username, password and whether it sees the arms."""
    table = Table(title="Demo logins (local demo only: derived from the seed)")
    table.add_column("role", overflow="fold")
    table.add_column("site", overflow="fold")
    table.add_column("username", no_wrap=True)
    table.add_column("password", no_wrap=True)
    table.add_column("arms", overflow="fold")
    for login in logins:
        table.add_row(
            login.role.value.replace("_", " "),
            login.site or "all",
            login.username,
            login.password,
            BLIND.get(login.role.value, "blind"),
        )
    return table


def reopen_command(paths: DemoPaths, port: int) -> str:
    return (
        f"DATABASE_URL={paths.shown_url()} PSYTRIAL_HOME={paths.keys} psytrial serve --port {port}"
    )


def write_logins(paths: DemoPaths, logins: list[Login], port: int) -> None:
    lines = [
        "# psytrial demo logins (local demo only: derived from the seed)",
        f"# reopen the study: {reopen_command(paths, port)}",
        "",
    ]
    lines += [
        f"{login.username}\t{login.password}\t{login.role.value}\t{login.site or 'all'}"
        for login in logins
    ]
    fd = os.open(paths.logins, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
