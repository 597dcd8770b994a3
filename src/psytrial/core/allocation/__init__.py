"""Allocation lists: stratified permuted blocks of random sizes, kit codes, CSV, commitment.

The randomization statistician generates the list once, before enrolment, publishes its
commitment, and seals the list; each randomized participant then takes the next free slot of
their stratum. Inputs are plain values (the protocol layer maps its model onto them) and the
randomness comes in as a `RandomSource`: the system CSPRNG by default, or
`SeededSource(seed)` for a list that can be regenerated and verified byte for byte.

    params  -> generate_allocation -> AllocationList -> to_csv -> text -> commitment(...)
    text    -> from_csv (checks every line)   text + seed -> verify -> VerificationReport

Errors are AllocationError with one-line messages; CSV errors name the line number.
"""

from psytrial.core.allocation._csv import COLUMNS, from_csv, to_csv
from psytrial.core.allocation._generate import generate_allocation, generate_from
from psytrial.core.allocation._kitcode import (
    KIT_ALPHABET,
    KIT_CODE_LENGTH,
    check_character,
    is_valid_kit_code,
)
from psytrial.core.allocation._model import (
    FORMAT_VERSION,
    AllocationList,
    AllocationParameters,
    ArmRatio,
    BlockCut,
    Slot,
)
from psytrial.core.allocation._verify import (
    RowDifference,
    VerificationReport,
    commitment,
    verify,
)
from psytrial.core.drbg import RandomSource, SeededSource, SystemSource
from psytrial.core.errors import AllocationError

__all__ = [
    "COLUMNS",
    "FORMAT_VERSION",
    "KIT_ALPHABET",
    "KIT_CODE_LENGTH",
    "AllocationError",
    "AllocationList",
    "AllocationParameters",
    "ArmRatio",
    "BlockCut",
    "RandomSource",
    "RowDifference",
    "SeededSource",
    "Slot",
    "SystemSource",
    "VerificationReport",
    "check_character",
    "commitment",
    "from_csv",
    "generate_allocation",
    "generate_from",
    "is_valid_kit_code",
    "to_csv",
    "verify",
]
