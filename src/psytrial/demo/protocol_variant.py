"""The K-site variant of the reference protocol, for `psytrial demo --sites K`.

The 2002 trial ran at one hospital (protocols/kpt2002.yaml has one site). With `--sites K`
the demo derives, as text, a protocol that differs in two places only, and creates the study
from that text (its digest is the variant's own; the file is written to DIR/protocol.yaml):

- `sites:` lists K sites: the original site first, then `site02` ... `siteK`, each a
  simulated site ("Demo site 2 (simulated)");
- `randomization.strata` adds `site` after the protocol's own factors (sex), so each site
  has its own permuted blocks, as multi-site trials usually stratify (ASSUMPTION: the
  reference trial had no second site to stratify by).

Everything else (arms, doses, visits, instruments, outcomes, the blind) is the reference
protocol's, byte for byte, comments included. A header comment says what was derived.
"""

from __future__ import annotations

import json
import re

from psytrial.core.errors import ProtocolError
from psytrial.core.protocol import Protocol, parse_protocol

_TOP_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*:", re.MULTILINE)


def site_ids(k: int, first: str) -> list[str]:
    return [first] + [f"site{number:02d}" for number in range(2, k + 1)]


def multi_site_text(text: str, k: int, *, source: str = "kpt2002.yaml") -> str:
    """The protocol text with K sites, stratified by site; the text unchanged for K = 1."""
    if k < 1:
        raise ProtocolError(f"--sites: expected at least 1 site, got {k}")
    if k == 1:
        return text
    original = parse_protocol(text, source=source)
    if len(original.sites) != 1:
        raise ProtocolError(
            f"--sites: expected a one-site protocol to derive {k} sites from, "
            f"got {len(original.sites)} sites in {source}"
        )
    first = original.sites[0]
    start, end = _block(text, "sites")
    lines = ["sites:", f"  - id: {first.id}", f"    name: {json.dumps(first.name)}"]
    if first.country:
        lines.append(f"    country: {json.dumps(first.country)}")
    for site_id in site_ids(k, first.id)[1:]:
        number = int(site_id.removeprefix("site"))
        lines += [f"  - id: {site_id}", f"    name: Demo site {number} (simulated)"]
        if first.country:
            lines.append(f"    country: {json.dumps(first.country)}")
    derived = text[:start] + "\n".join(lines) + "\n" + text[end:]
    derived = _stratify_by_site(derived, original)
    header = (
        f"# DEMO VARIANT, derived by `psytrial demo --sites {k}` from {source}: {k} sites\n"
        "# (the first is the original, the others simulated) and randomization stratified\n"
        "# by site as well. Everything else is the original protocol.\n"
    )
    result = header + derived
    _check(result, k, source)
    return result


def _block(text: str, key: str) -> tuple[int, int]:
    """Start and end offsets of a top-level key's block (up to the next top-level key)."""
    match = re.search(rf"^{key}:", text, re.MULTILINE)
    if match is None:
        raise ProtocolError(f"protocol: expected a top-level '{key}:' block, got none")
    following = _TOP_KEY.search(text, match.end())
    end = following.start() if following else len(text)
    # Keep the comment lines that introduce the next block with that block.
    while True:
        previous_line = text.rfind("\n", 0, end - 1)
        line = text[previous_line + 1 : end]
        if previous_line < match.start() or not (line.startswith("#") or not line.strip()):
            break
        end = previous_line + 1
    return match.start(), end


def _stratify_by_site(text: str, original: Protocol) -> str:
    if "site" in original.randomization.strata:
        return text
    if all(s.id != "site" for s in original.strata):
        raise ProtocolError(
            "protocol: expected a stratum with id 'site' to stratify a "
            "multi-site variant by, got none"
        )
    start, end = _block(text, "randomization")
    block = text[start:end]
    wanted = ", ".join([*original.randomization.strata, "site"])
    new_block, count = re.subn(
        r"^(  strata:)\s*\[[^\]]*\]", rf"\1 [{wanted}]", block, flags=re.MULTILINE
    )
    if count != 1:
        new_block = block.rstrip("\n") + f"\n  strata: [{wanted}]\n\n"
    return text[:start] + new_block + text[end:]


def _check(text: str, k: int, source: str) -> None:
    protocol = parse_protocol(text, source=f"{source} (demo variant)")
    if len(protocol.sites) != k or "site" not in protocol.randomization.strata:
        raise ProtocolError(
            f"demo variant of {source}: expected {k} sites stratified by site, "
            f"got {len(protocol.sites)} sites, strata "
            f"{list(protocol.randomization.strata)}"
        )
