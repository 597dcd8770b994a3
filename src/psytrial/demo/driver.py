"""`run_demo`: the whole in-silico trial, start to finish, in one call.

    1. environment   a fresh SQLite study database in DIR/db.sqlite3 and keys in DIR/keys,
                     set in the environment before Django starts; migrations
    2. setup         the study from protocols/kpt2002.yaml (or its K-site variant, written to
                     DIR/protocol.yaml), the team's logins, the sealed allocation list
    3. conduct       the virtual cohort (psytrial.sim, scenarios/kpt2002.yaml, --participants,
                     --seed) played through the web layer's action functions on the simulated
                     clock: screening ... two years of follow-up, adverse events, queries
    4. lock          the data manager locks the database
    5. analysis      the unblinded analysis export and the analysis plan: DIR/results.json
                     and DIR/report.html
    6. summary       the result in a few lines, the files, the logins (then `serve`)

Steps 2 to 6 live in `psytrial.demo.trial`, imported only once Django is set up on the
demo's own database (its modules import Django models).
"""

from __future__ import annotations

from rich.console import Console

from psytrial.demo import environment
from psytrial.demo.options import DemoOptions
from psytrial.demo.outcome import DemoOutcome


def run_demo(options: DemoOptions, console: Console | None = None) -> DemoOutcome:
    """Run the demo (without serving); see the module docstring."""
    console = console or Console()
    paths = environment.prepare(options)
    console.print(
        f"psytrial demo: a fresh study in {paths.out} (seed {options.seed}, "
        f"{options.participants} participants, {options.sites} site(s))"
    )
    environment.start_django()
    if options.database_url is not None:
        environment.refuse_existing_study()
    from psytrial.demo.trial import play

    return play(options, paths, console)
