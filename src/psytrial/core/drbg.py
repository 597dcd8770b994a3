"""Random sources for the core: a reproducible HMAC_DRBG and the operating system's CSPRNG.

The core never creates randomness of its own; callers pass a `RandomSource`. Two exist:

- `SystemSource` draws from the OS CSPRNG (`secrets.token_bytes`, read 4 KiB at a time).
  Use it for real allocation lists.
- `SeededSource(seed)` is a deterministic random bit generator: HMAC_DRBG with SHA-256 as
  specified by NIST SP 800-90A Rev. 1, section 10.1.2 (checked against the NIST CAVP
  known-answer vectors in tests/core/test_drbg.py). It is cryptographically strong AND
  reproducible byte for byte forever, because every step is defined here rather than borrowed
  from `random` or numpy, whose streams may change between versions.

The seeded byte stream (format version 1, frozen; changing it breaks every published
allocation list that was made with a seed):

    entropy_input   = b"int:" + decimal ASCII of the seed     (seed is an int >= 0)
                    | b"bytes:" + the seed                     (seed is non-empty bytes)
    nonce           = b""
    personalization = b"psytrial.core.drbg/1"
    stream          = Generate(4096) || Generate(4096) || ...  (no additional input)

`randbelow(n)` (in both sources) takes k = bit_length(n - 1) bits: the top k bits of the next
ceil(k/8) stream bytes read big-endian, and rejects values >= n (so no modulo bias); n == 1
consumes nothing.
`token_bytes(n)` takes the next n stream bytes.

Security note: a seeded source is only as secret as its seed. Anyone who learns or guesses the
seed can rebuild everything drawn from it, so use at least 128 random bits
(`SystemSource().randbelow(2**128)`) when the seed has to stay secret.

Bad arguments (a negative seed, n < 1) raise ValueError or TypeError like `secrets` does: they
are programming errors; user-facing callers validate their inputs first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Final, Protocol, runtime_checkable

__all__ = [
    "PERSONALIZATION",
    "STREAM_CHUNK",
    "HmacDrbg",
    "RandomSource",
    "SeededSource",
    "SystemSource",
    "seed_entropy",
]

PERSONALIZATION: Final = b"psytrial.core.drbg/1"
STREAM_CHUNK: Final = 4096

_OUTLEN: Final = 32  # SHA-256 digest size in bytes
_MAX_REQUEST_BYTES: Final = 1 << 16  # SP 800-90A Table 2: 2**19 bits per request
_RESEED_INTERVAL: Final = 1 << 48  # SP 800-90A Table 2


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, hashlib.sha256)


@runtime_checkable
class RandomSource(Protocol):
    """Where the core gets randomness from: unbiased integers and raw bytes."""

    def randbelow(self, n: int) -> int:
        """A uniformly distributed integer in [0, n); n must be >= 1."""
        ...

    def token_bytes(self, n: int) -> bytes:
        """n uniformly distributed bytes."""
        ...


class HmacDrbg:
    """HMAC_DRBG (SHA-256) of NIST SP 800-90A Rev. 1, section 10.1.2, without prediction resistance.

    Instantiate with entropy input, nonce and personalization string; `generate` returns at
    most 65,536 bytes per request; `reseed` mixes in fresh input.
    """

    __slots__ = ("_key", "_reseed_counter", "_value")

    def __init__(
        self, entropy_input: bytes, nonce: bytes = b"", personalization: bytes = b""
    ) -> None:
        self._key = b"\x00" * _OUTLEN
        self._value = b"\x01" * _OUTLEN
        self._update(entropy_input + nonce + personalization)
        self._reseed_counter = 1

    def _update(self, provided_data: bytes) -> None:
        self._key = _hmac(self._key, self._value + b"\x00" + provided_data)
        self._value = _hmac(self._key, self._value)
        if provided_data:
            self._key = _hmac(self._key, self._value + b"\x01" + provided_data)
            self._value = _hmac(self._key, self._value)

    def reseed(self, entropy_input: bytes, additional_input: bytes = b"") -> None:
        """Mix fresh entropy (and optional additional input) into the state."""
        self._update(entropy_input + additional_input)
        self._reseed_counter = 1

    def generate(self, n_bytes: int, additional_input: bytes = b"") -> bytes:
        """The next n_bytes of output (SP 800-90A HMAC_DRBG_Generate_algorithm)."""
        if not 0 <= n_bytes <= _MAX_REQUEST_BYTES:
            raise ValueError(f"n_bytes: expected 0 to {_MAX_REQUEST_BYTES}, got {n_bytes}")
        if self._reseed_counter > _RESEED_INTERVAL:
            raise RuntimeError("HMAC_DRBG: reseed required after 2**48 requests")
        if additional_input:
            self._update(additional_input)
        key, value = self._key, self._value
        blocks = []
        for _ in range(-(-n_bytes // _OUTLEN)):
            value = hmac.digest(key, value, hashlib.sha256)
            blocks.append(value)
        self._value = value
        self._update(additional_input)
        self._reseed_counter += 1
        return b"".join(blocks)[:n_bytes]


def seed_entropy(seed: int | bytes) -> bytes:
    """The entropy input that a seed stands for (see the module docstring)."""
    if isinstance(seed, bool) or not isinstance(seed, int | bytes):
        raise TypeError(f"seed: expected an int >= 0 or non-empty bytes, got {type(seed).__name__}")
    if isinstance(seed, int):
        if seed < 0:
            raise ValueError(f"seed: expected an int >= 0, got {seed}")
        return b"int:" + str(seed).encode("ascii")
    if not seed:
        raise ValueError("seed: expected non-empty bytes, got b''")
    return b"bytes:" + seed


class _BufferedSource:
    """Rejection sampling over a byte stream read in chunks, shared by both sources.

    Reading the stream in chunks rather than a few bytes per draw is what makes 100,000
    draws cheap: one HMAC_DRBG request or one getrandom() call per 4 KiB.
    """

    __slots__ = ("_buffer", "_pos")

    def __init__(self) -> None:
        self._buffer = b""
        self._pos = 0

    def _chunk(self) -> bytes:
        raise NotImplementedError

    def _take(self, n: int) -> bytes:
        end = self._pos + n
        if end > len(self._buffer):
            parts = [self._buffer[self._pos :]]
            have = len(parts[0])
            while have < n:
                parts.append(self._chunk())
                have += STREAM_CHUNK
            self._buffer = b"".join(parts)
            self._pos, end = 0, n
        out = self._buffer[self._pos : end]
        self._pos = end
        return out

    def token_bytes(self, n: int) -> bytes:
        """The next n bytes of the stream."""
        if n < 0:
            raise ValueError(f"n: expected an int >= 0, got {n}")
        return self._take(n)

    def randbelow(self, n: int) -> int:
        """A uniform integer in [0, n) by rejection sampling on the top bits of the stream."""
        if n < 1:
            raise ValueError(f"n: expected an int >= 1, got {n}")
        k = (n - 1).bit_length()
        if k == 0:
            return 0
        n_bytes = (k + 7) >> 3
        shift = 8 * n_bytes - k
        while True:
            # The common case reads straight from the buffer; _take only to cross a chunk.
            pos = self._pos
            end = pos + n_bytes
            if end <= len(self._buffer):
                self._pos = end
                x = int.from_bytes(self._buffer[pos:end], "big") >> shift
            else:
                x = int.from_bytes(self._take(n_bytes), "big") >> shift
            if x < n:
                return x


class SeededSource(_BufferedSource):
    """A reproducible `RandomSource`: the seeded HMAC_DRBG stream of the module docstring."""

    __slots__ = ("_drbg", "seed")

    def __init__(self, seed: int | bytes) -> None:
        super().__init__()
        self._drbg = HmacDrbg(seed_entropy(seed), b"", PERSONALIZATION)
        self.seed: int | bytes = seed

    def __repr__(self) -> str:
        # The seed is secret while the list is sealed; keep it out of logs and tracebacks.
        return "SeededSource(<seed hidden>)"

    def _chunk(self) -> bytes:
        return self._drbg.generate(STREAM_CHUNK)


class SystemSource(_BufferedSource):
    """The operating system's CSPRNG (`secrets.token_bytes`); not reproducible by design.

    Draws use the same rejection sampling as `SeededSource` over CSPRNG bytes fetched 4 KiB at
    a time. A forked child must not replay its parent's unused bytes, so the buffer is dropped
    whenever the process id changes.
    """

    __slots__ = ("_pid",)

    def __init__(self) -> None:
        super().__init__()
        self._pid = os.getpid()

    def _chunk(self) -> bytes:
        return secrets.token_bytes(STREAM_CHUNK)

    def _forget_after_fork(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._buffer, self._pos = b"", 0

    def token_bytes(self, n: int) -> bytes:
        """n bytes from the OS CSPRNG."""
        self._forget_after_fork()
        return super().token_bytes(n)

    def randbelow(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        self._forget_after_fork()
        return super().randbelow(n)
