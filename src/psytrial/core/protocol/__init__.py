"""Protocols as data: the model (`model`), the cross-reference checks (`checks`) and the loader.

    from psytrial.core.protocol import load_protocol
    protocol = load_protocol("protocols/kpt2002.yaml")
"""

from psytrial.core.protocol.loader import load_protocol, parse_protocol, protocol_digest
from psytrial.core.protocol.model import (
    FORMAT_VERSION,
    Arm,
    Criterion,
    DosingLimits,
    Protocol,
    Site,
    Stratum,
    Visit,
)

__all__ = [
    "FORMAT_VERSION",
    "Arm",
    "Criterion",
    "DosingLimits",
    "Protocol",
    "Site",
    "Stratum",
    "Visit",
    "load_protocol",
    "parse_protocol",
    "protocol_digest",
]
