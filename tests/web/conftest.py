from __future__ import annotations

import pytest

from tests.web.personas import Personas, make_study, personas


@pytest.fixture
def study(db):  # type: ignore[no-untyped-def]
    return make_study()


@pytest.fixture
def people(study) -> Personas:  # type: ignore[no-untyped-def]
    return personas(study)
