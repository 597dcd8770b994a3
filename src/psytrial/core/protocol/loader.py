"""Reading protocol files: YAML text in, a frozen `Protocol` out, or one located error line.

Every error names the file, the line, the place in the document and what was expected, e.g.

    kpt2002.yaml:31: arms[1].dose.mg_per_kg: expected a number greater than 0, got -0.2

The YAML is read with `psytrial.core.located_yaml`, which walks an error's location back to
its line (shared with the scenario loader).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import ValidationError

from psytrial.core.errors import ProtocolError
from psytrial.core.located_yaml import (
    Loc,
    child_node,
    format_loc,
    line_of,
    located,
    message_for,
    parse_document,
)
from psytrial.core.protocol.checks import ProtocolCheckError
from psytrial.core.protocol.model import Protocol

__all__ = ["format_loc", "line_of", "load_protocol", "message_for", "parse_protocol",
           "protocol_digest"]

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
    node, data = parse_document(text, source, ProtocolError)
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, node, source)) from None


def protocol_digest(text: str) -> str:
    """SHA-256 of the protocol text, recorded with a study so a silent change is detected."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    return located(source, root, loc, message)


def _strip_tags(loc: Loc, root: yaml.Node) -> Loc:
    """Drop the discriminator tags pydantic inserts for tagged unions (instruments[2].hrs.x)."""
    out: list[str | int] = []
    node: yaml.Node | None = root
    for part in loc:
        found = child_node(node, part) if node is not None else None
        if found is None and node is not None and isinstance(part, str) and _kind(node) == part:
            continue
        out.append(part)
        node = found
    return tuple(out)


def _kind(node: yaml.Node) -> str | None:
    kind = child_node(node, "kind")
    return kind.value if isinstance(kind, yaml.ScalarNode) else None
