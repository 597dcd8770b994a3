"""YAML documents whose errors point at a line: the shared ground of the protocol and
scenario loaders.

A document is composed into a node tree first, so that a pydantic error location (or the
path of a cross-check) can be walked back to the line it came from, and one error becomes one
line: `file:line: place: expected ..., got ...`. Dates stay text while loading, so an
impossible date (1996-13-01) reaches pydantic and is reported with its place instead of
failing inside the YAML reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

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


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading that keeps dates as text."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_scalar)


def parse_document(text: str, source: str, error: type[Exception]) -> tuple[yaml.Node, Any]:
    """The node tree (for lines) and the plain data of the one document in `text`, whose top
    level must be a mapping; any failure raises `error` with one located line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise error(
            f"{source}{line}: expected valid YAML, got a syntax error ({exc.problem})"
        ) from None
    except yaml.YAMLError as exc:
        raise error(f"{source}: expected valid YAML ({' '.join(str(exc).split())})") from None
    finally:
        loader.dispose()
    if node is None or not isinstance(data, Mapping):
        got = "an empty file" if node is None else f"a {type(data).__name__}"
        raise error(f"{source}:1: expected a mapping at the top level, got {got}")
    return node, data


def located(source: str, root: yaml.Node, loc: Sequence[str | int], message: str) -> str:
    """One error line: `source:line: place: message` (the line of the deepest node of `loc`
    that exists in the document)."""
    line = line_of(root, tuple(loc))
    where = f"{source}:{line}" if line else source
    return f"{where}: {format_loc(loc) or '(top level)'}: {message}"


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


def child_node(node: yaml.Node, part: str | int) -> yaml.Node | None:
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
        found = child_node(node, part)
        if found is None:
            break
        node = found
        if not isinstance(node, yaml.MappingNode):
            line = node.start_mark.line + 1
    return line
