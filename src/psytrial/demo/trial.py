"""The trial itself, once Django runs on the demo's database: set-up to final analysis.

The simulated clock is installed for the whole of it (`psytrial.web.clock.simulated`), so
every timestamp in the database is simulated time and the same seed gives the same
results.json. See `psytrial.demo.driver` for the steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time, timedelta

from rich.console import Console

from psytrial.core.protocol import Protocol, parse_protocol
from psytrial.demo.options import DemoOptions, DemoPaths
from psytrial.demo.outcome import DemoOutcome
from psytrial.demo.phases.analysis import FinalAnalysis, final_analysis
from psytrial.demo.phases.enrolment import schedule_screening
from psytrial.demo.phases.quality import lock_database
from psytrial.demo.phases.setup import seal_allocation_list, set_up_study
from psytrial.demo.progress import DemoProgress
from psytrial.demo.protocol_variant import multi_site_text
from psytrial.demo.report import print_summary, write_logins
from psytrial.demo.simclock import Agenda, SimClock, moment
from psytrial.demo.state import DemoRun
from psytrial.sim.cohort import VirtualCohort, generate_cohort
from psytrial.sim.scenario import Scenario
from psytrial.sim.scenario_load import load_scenario
from psytrial.web import clock as web_clock
from psytrial.web.randomization.queries import allocation_list
from psytrial.web.txn import action_transaction
from psytrial.web.upkeep import Upkeep

SETUP_LEAD = timedelta(days=14)
SETUP_TIME = time(9, 0)


def play(options: DemoOptions, paths: DemoPaths, console: Console) -> DemoOutcome:
    protocol_text = _protocol_text(options, paths)
    protocol = parse_protocol(protocol_text, source=paths.protocol.name)
    scenario = load_scenario(options.scenario_file, protocol)
    cohort = _cohort(protocol, scenario, options)
    clock = SimClock(moment(scenario.recruitment.start_date - SETUP_LEAD, SETUP_TIME))
    with (
        DemoProgress(console, enabled=options.progress) as progress,
        web_clock.simulated(clock.now),
    ):
        run = _set_up(options, paths, protocol_text, protocol, cohort, clock, progress)
        _conduct(run)
        _lock(run)
        final = _analyse(run)
    commitment = _commitment(run)
    data = print_summary(console, final.result, run.tally, paths, commitment)
    write_logins(paths, run.team.logins, options.port)
    return DemoOutcome(paths, run.study.code, tuple(run.team.logins), data, run.tally, commitment)


def _protocol_text(options: DemoOptions, paths: DemoPaths) -> str:
    original = options.protocol_file.read_text(encoding="utf-8")
    text = multi_site_text(original, options.sites, source=options.protocol_file.name)
    paths.protocol.write_text(text, encoding="utf-8")
    return text


def _cohort(protocol: Protocol, scenario: Scenario, options: DemoOptions) -> VirtualCohort:
    published = sum(
        n for counts in scenario.published_composition.values() for n in counts.values()
    )
    weights = None
    if options.sites > 1:
        # ASSUMPTION: recruitment is spread evenly over the demo's sites, and each site
        # screens at the scenario's rate (the reference trial had one site).
        weights = {site.id: 1.0 for site in protocol.sites}
        recruitment = scenario.recruitment.model_copy(
            update={"screened_per_week": scenario.recruitment.screened_per_week * options.sites}
        )
        scenario = scenario.model_copy(update={"recruitment": recruitment})
    return generate_cohort(
        protocol,
        scenario,
        options.participants,
        options.seed,
        fixed_arm_composition=options.participants == published,
        site_weights=weights,
    )


def _set_up(
    options: DemoOptions,
    paths: DemoPaths,
    text: str,
    protocol: Protocol,
    cohort: VirtualCohort,
    clock: SimClock,
    progress: DemoProgress,
) -> DemoRun:
    progress.phase("setup", "Set-up: study, logins, sealed list", 3)
    study, team = set_up_study(text, paths.protocol.name, options.seed)
    progress.advance("setup", note=f"study {study.code}")
    progress.advance("setup", note=f"{len(team.logins)} logins")
    clock.pass_time(timedelta(days=1))
    seal_allocation_list(study, team, options.seed, options.participants)
    progress.advance("setup", note="allocation list sealed")
    run = DemoRun(
        options=options,
        paths=paths,
        study=study,
        protocol=protocol,
        team=team,
        cohort=cohort,
        clock=clock,
        agenda=Agenda(clock),
        progress=progress,
    )
    run.tally.actions += 2 + 2 * len(team.logins)
    return run


def _conduct(run: DemoRun) -> None:
    progress = run.progress
    progress.phase("screening", "Screening and eligibility", len(run.cohort.people))
    progress.phase("randomization", "Consent, baseline, randomization", run.options.participants)
    progress.phase("sessions", "Drug sessions (dose, vitals, HRS)", 0)
    progress.phase("follow-up", "Follow-up visits (24 months)", 0)
    progress.phase("queries", "Data queries raised and closed", 0)
    progress.show_clock(run.clock.now())
    schedule_screening(run)
    # One transaction per simulated day: every step is still an action function run as its
    # user, with its checks and its audit entry, and joins the day's transaction
    # (`psytrial.web.txn.action_transaction`). The trial's staff commit each save; the demo
    # commits once a day because nothing else writes to its database while it runs, and a
    # commit is the dearest statement there is (it waits for the disk). Between days the
    # database gets the upkeep a fast-filled PostgreSQL database needs (`web.upkeep`).
    upkeep = Upkeep()

    @contextmanager
    def day() -> Iterator[None]:
        with action_transaction():
            yield
        upkeep.after(run.tally.actions)

    run.agenda.run(on_step=progress.show_clock, each_day=day)


def _lock(run: DemoRun) -> None:
    run.progress.phase("lock", "Database lock", 1)
    lock_database(run)
    run.progress.advance("lock", note=f"locked {run.clock.today():%Y-%m-%d}")


def _analyse(run: DemoRun) -> FinalAnalysis:
    run.progress.phase("analysis", "Final analysis (unblinded)", 3)
    return final_analysis(run)


def _commitment(run: DemoRun) -> str:
    found = allocation_list(run.study)
    return found.commitment if found is not None else ""
