"""Bad-input fuzzing of the protocol and scenario loaders (hypothesis, seeded).

Whatever the text, a loader either returns a valid object or raises its named error with a
one-line message; it never raises anything else, and never a multi-line message.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from psytrial.core.errors import ProtocolError, ScenarioError
from psytrial.core.protocol import load_protocol, parse_protocol
from psytrial.sim.scenario_load import parse_scenario

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_TEXT = (ROOT / "protocols" / "kpt2002.yaml").read_text()
SCENARIO_TEXT = (ROOT / "scenarios" / "kpt2002.yaml").read_text()
PROTOCOL = load_protocol(ROOT / "protocols" / "kpt2002.yaml")
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out += _paths(child, (*prefix, index))
    return out


def _mutated(text: str, data: st.DataObject) -> str:
    document = yaml.safe_load(text)
    paths = _paths(document)
    path = data.draw(st.sampled_from(paths))
    value = data.draw(values)
    delete = data.draw(st.booleans())
    mutated = copy.deepcopy(document)
    node = mutated
    for part in path[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return yaml.safe_dump(mutated, sort_keys=False)


def _one_line(error: Exception) -> None:
    assert "\n" not in str(error), str(error)


@seed(2002)
@FUZZ
@given(st.data())
def test_a_mutated_protocol_loads_or_fails_with_one_located_line(data: st.DataObject) -> None:
    try:
        parse_protocol(_mutated(PROTOCOL_TEXT, data), source="p.yaml")
    except ProtocolError as error:
        _one_line(error)
        assert str(error).startswith("p.yaml")


@seed(2002)
@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_is_not_a_protocol(text: str) -> None:
    try:
        parse_protocol(text, source="p.yaml")
    except ProtocolError as error:
        _one_line(error)


@seed(2002)
@FUZZ
@given(st.data())
def test_a_mutated_scenario_loads_or_fails_with_one_located_line(data: st.DataObject) -> None:
    try:
        parse_scenario(_mutated(SCENARIO_TEXT, data), source="s.yaml", protocol=PROTOCOL)
    except ScenarioError as error:
        _one_line(error)


@seed(2002)
@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_is_not_a_scenario(text: str) -> None:
    try:
        parse_scenario(text, source="s.yaml", protocol=PROTOCOL)
    except ScenarioError as error:
        _one_line(error)
