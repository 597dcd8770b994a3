"""Reading protocol files: YAML text in, a frozen `Protocol` out, or one located error line.

Every error names the file, the line, the place in the document and what was expected, e.g.

    kpt2002.yaml:31: arms[1].dose.mg_per_kg: expected a number greater than 0, got -0.2

The YAML is composed into a node tree first, so that a pydantic error location can be walked
back to the line it came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from psytrial.core.errors import ProtocolError
from psytrial.core.protocol.checks import ProtocolCheckError
from psytrial.core.protocol.model import Protocol

Loc = tuple[str | int, ...]

_EXPECTED: dict[str, str] = {
    "missing": "a value for this required key, got nothing",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "union_tag_not_found": "a 'kind' key",
}


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol file; raise ProtocolError with one located line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProtocolError(f"{file}: expected a protocol file, found no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"{file}: expected a readable UTF-8 text file ({exc})") from None
    return parse_protocol(text, source=file.name)


def parse_protocol(text: str, source: str = "<protocol>") -> Protocol:
    """Validate protocol YAML text; `source` names it in error messages."""
    node, data = _parse_yaml(text, source)
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, node, source)) from None


def protocol_digest(text: str) -> str:
    """SHA-256 of the protocol text, recorded with a study so a silent change is detected."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading that keeps dates as text, so an impossible date (1996-13-01) reaches
    pydantic and is reported with its place, instead of failing inside the YAML reader."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_scalar)


def _parse_yaml(text: str, source: str) -> tuple[yaml.Node, Any]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ProtocolError(
            f"{source}{line}: expected valid YAML, got a syntax error ({exc.problem})"
        ) from None
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{source}: expected valid YAML ({' '.join(str(exc).split())})"
                            ) from None
    finally:
        loader.dispose()
    if node is None or not isinstance(data, Mapping):
        got = "an empty file" if node is None else f"a {type(data).__name__}"
        raise ProtocolError(f"{source}:1: expected a mapping at the top level, got {got}")
    return node, data


def _describe(exc: ValidationError, root: yaml.Node, source: str) -> str:
    error = exc.errors(include_url=False)[0]
    loc: Loc = tuple(error["loc"])
    context = error.get("ctx") or {}
    cause = context.get("error")
    if isinstance(cause, ProtocolCheckError):
        loc, message = cause.path, cause.message
    else:
        loc = _strip_tags(loc, root)
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "kind")
        message = message_for(error)
    line = line_of(root, loc)
    where = f"{source}:{line}" if line else source
    place = format_loc(loc) or "(top level)"
    return f"{where}: {place}: {message}"


def message_for(error: Mapping[str, Any]) -> str:
    kind: str = error["type"]
    context = error.get("ctx") or {}
    got = _show(error.get("input"))
    if kind == "missing":
        return "expected a value for this required key, got nothing"
    if kind == "extra_forbidden":
        return "unexpected key; check its spelling against docs/protocol-format.md"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "greater than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        bound = next(iter(context.values()))
        if kind == "greater_than" and bound == 0:
            return f"expected a positive number, got {got}"
        return f"expected a number {words} {bound:g}, got {got}"
    if kind in ("literal_error", "enum"):
        return f"expected one of {context.get('expected')}, got {got}"
    if kind == "string_pattern_mismatch":
        return f"expected a lower-case identifier (letters, digits, _), got {got}"
    if kind in ("too_short", "too_long"):
        bound = context.get("min_length", context.get("max_length"))
        words = "at least" if kind == "too_short" else "at most"
        return f"expected {words} {bound} item(s) or character(s), got {got}"
    if kind == "union_tag_invalid":
        return f"expected one of {context.get('expected_tags')}, got {context.get('tag')!r}"
    if kind == "value_error":
        return str(context.get("error", error["msg"])).removeprefix("Value error, ")
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return f"expected {expected}, got {got}"
    return f"{error['msg']}, got {got}"


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _strip_tags(loc: Loc, root: yaml.Node) -> Loc:
    """Drop the discriminator tags pydantic inserts for tagged unions (instruments[2].hrs.x)."""
    out: list[str | int] = []
    node: yaml.Node | None = root
    for part in loc:
        child = _child(node, part) if node is not None else None
        if child is None and node is not None and isinstance(part, str) and _kind(node) == part:
            continue
        out.append(part)
        node = child
    return tuple(out)


def _kind(node: yaml.Node) -> str | None:
    kind = _child(node, "kind")
    return kind.value if isinstance(kind, yaml.ScalarNode) else None


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(part):
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def line_of(root: yaml.Node, loc: Loc) -> int | None:
    """The 1-based line of the deepest node along loc that exists in the file."""
    node = root
    line: int = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            key_line = next((k.start_mark.line + 1 for k, _ in node.value
                             if str(k.value) == str(part)), None)
            if key_line is not None:
                line = key_line
        child = _child(node, part)
        if child is None:
            break
        node = child
        if not isinstance(node, yaml.MappingNode):
            line = node.start_mark.line + 1
    return line
