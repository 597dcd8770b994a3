"""Demo runs shared by the demo's tests: each is a real `psytrial demo` in a child process."""

from __future__ import annotations

import pytest

from tests.demo.runs import Finished, run_demo

SEED = 7
PARTICIPANTS = 10


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return run_demo(tmp_path_factory.mktemp("demo-a") / "out", seed=SEED, participants=PARTICIPANTS)


@pytest.fixture(scope="session")
def twin_run(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return run_demo(tmp_path_factory.mktemp("demo-b") / "out", seed=SEED, participants=PARTICIPANTS)


@pytest.fixture(scope="session")
def two_site_run(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return run_demo(
        tmp_path_factory.mktemp("demo-sites") / "out", seed=SEED, participants=PARTICIPANTS, sites=2
    )
