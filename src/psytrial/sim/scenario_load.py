"""Reading scenario files: YAML text in, a frozen `Scenario` out, or one located error line.

Errors look like the protocol loader's, and are made with the same helpers
(`psytrial.core.located_yaml`):

    kpt2002.yaml:94: arms.high.session.hrs.affect.sd: expected a positive number, got -0.4

The YAML is composed into a node tree first, so that a pydantic error location (or the path
of a cross-check) can be walked back to the line it came from. The scenario keeps a map of
its paths to their lines, so checks against a protocol made later still point at the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from psytrial.core.errors import ScenarioError
from psytrial.core.located_yaml import located, message_for, parse_document
from psytrial.core.protocol import Protocol
from psytrial.sim.scenario_checks import check_scenario
from psytrial.sim.scenario_model import Path as LocPath
from psytrial.sim.scenario_model import Scenario, ScenarioCheckError

_EXTRA = "unexpected key; check its spelling against docs/scenario-format.md"


def load_scenario(path: str | Path, protocol: Protocol | None = None) -> Scenario:
    """Read and validate a scenario file (and check it against `protocol`, if given)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{file}: expected a scenario file, found no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{file}: expected a readable UTF-8 text file ({exc})") from None
    return parse_scenario(text, source=file.name, protocol=protocol)


def parse_scenario(
    text: str, source: str = "<scenario>", protocol: Protocol | None = None
) -> Scenario:
    """Validate scenario YAML text; `source` names it in error messages."""
    root, data = parse_document(text, source, ScenarioError)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, root, source)) from None
    scenario.remember_origin(source, dict(_lines(root)))
    if protocol is not None:
        check_scenario(scenario, protocol)
    return scenario


def _describe(exc: ValidationError, root: yaml.Node, source: str) -> str:
    error = exc.errors(include_url=False)[0]
    loc: LocPath = tuple(error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ScenarioCheckError):
        loc, message = cause.path, cause.message
    elif error["type"] == "extra_forbidden":
        message = _EXTRA
    else:
        message = message_for(error)
    # A mapping key that is not an identifier: pydantic adds a "[key]" part after the key.
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    return located(source, root, loc, message)


def _lines(
    node: yaml.Node, path: LocPath = (), seen: set[int] | None = None
) -> Iterator[tuple[LocPath, int]]:
    """Every path of the document with the line of its key (or of its item in a list).

    A node reached again through a YAML alias is not walked again (its lines are those of
    the anchor anyway), so an alias-heavy file cannot make this walk explode.
    """
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, _key(key.value))
            yield child, key.start_mark.line + 1
            yield from _lines(value, child, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            yield (*path, index), value.start_mark.line + 1
            yield from _lines(value, (*path, index), seen)


def _key(value: Any) -> str | int:
    # YAML month keys (change_by_month: {3: -20}) are ints in the model's paths too.
    text = str(value)
    return int(text) if text.isdigit() else text
