"""Tests of psytrial.core.drbg: HMAC_DRBG against NIST vectors, the seeded stream, randbelow.

References:
- NIST CAVP HMAC_DRBG known-answer vectors (drbgtestvectors.zip, HMAC_DRBG.rsp, [SHA-256],
  PredictionResistance = False), as shipped in mbedTLS tests/suites/test_suite_hmac_drbg.*.data
  and in the elliptic (JavaScript) test suite. The CAVP procedure instantiates, generates
  1024 bits and discards them, generates 1024 bits again and compares those.
- An independent from-spec HMAC_DRBG written below with the hmac module only, to check how a
  seed becomes the byte stream of `SeededSource`.
- Pinned outputs of the seeded stream: they must never change, because published allocation
  lists are regenerated from them.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from scipy import stats

from psytrial.core.drbg import (
    PERSONALIZATION,
    STREAM_CHUNK,
    HmacDrbg,
    RandomSource,
    SeededSource,
    SystemSource,
    _BufferedSource,
    seed_entropy,
)

# (entropy input, nonce, personalization, expected ReturnedBits) from NIST CAVP.
NO_RESEED_VECTORS = [
    (
        "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
        "659ba96c601dc69fc902940805ec0ca8",
        "",
        "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89"
        "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1"
        "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
        "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8",
    ),
    (
        "79737479ba4e7642a221fcfd1b820b134e9e3540a35bb48ffae29c20f5418ea3",
        "3593259c092bef4129bc2c6c9e19f343",
        "",
        "cf5ad5984f9e43917aa9087380dac46e410ddc8a7731859c84e9d0f31bd43655"
        "b924159413e2293b17610f211e09f770f172b8fb693a35b85d3b9e5e63b1dc25"
        "2ac0e115002e9bedfb4b5b6fd43f33b8e0eafb2d072e1a6fee1f159df9b51e6c"
        "8da737e60d5032dd30544ec51558c6f080bdbdab1de8a939e961e06b5f1aca37",
    ),
    (
        "5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
        "6f885496c1e63af620becd9e71ecb824",
        "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
        "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d5"
        "3faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d"
        "9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd72"
        "8e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b",
    ),
    (
        "8df013b4d103523073917ddf6a869793059e9943fc8654549e7ab22f7c29f122",
        "da2625af2ddd4abcce3cf4fa4659d84e",
        "b571e66d7c338bc07b76ad3757bb2f9452bf7e07437ae8581ce7bc7c3ac651a9",
        "b91cba4cc84fa25df8610b81b641402768a2097234932e37d590b1154cbd23f9"
        "7452e310e291c45146147f0da2d81761fe90fba64f94419c0f662b28c1ed94da"
        "487bb7e73eec798fbcf981b791d1be4f177a8907aa3c401643a5b62b87b89d66"
        "b3a60e40d4a8e4e9d82af6d2700e6f535cdb51f75c321729103741030ccc3a56",
    ),
]


@pytest.mark.parametrize(("entropy", "nonce", "personalization", "expected"), NO_RESEED_VECTORS)
def test_it_matches_the_nist_hmac_drbg_vectors(
    entropy: str, nonce: str, personalization: str, expected: str
) -> None:
    drbg = HmacDrbg(bytes.fromhex(entropy), bytes.fromhex(nonce), bytes.fromhex(personalization))
    drbg.generate(128)
    assert drbg.generate(128).hex() == expected


def test_it_matches_the_nist_vector_with_additional_input() -> None:
    drbg = HmacDrbg(
        bytes.fromhex("d3cc4d1acf3dde0c4bd2290d262337042dc632948223d3a2eaab87da44295fbd"),
        bytes.fromhex("0109b0e729f457328aa18569a9224921"),
    )
    drbg.generate(
        128, bytes.fromhex("3c311848183c9a212a26f27f8c6647e40375e466a0857cc39c4e47575d53f1f6")
    )
    got = drbg.generate(
        128, bytes.fromhex("fcb9abd19ccfbccef88c9c39bfb3dd7b1c12266c9808992e305bc3cff566e4e4")
    )
    assert got.hex() == (
        "9c7b758b212cd0fcecd5daa489821712e3cdea4467b560ef5ddc24ab47749a1f"
        "1ffdbbb118f4e62fcfca3371b8fbfc5b0646b83e06bfbbab5fac30ea09ea2bc7"
        "6f1ea568c9be0444b2cc90517b20ca825f2d0eccd88e7175538b85d90ab39018"
        "3ca6395535d34473af6b5a5b88f5a59ee7561573337ea819da0dcc3573a22974"
    )


def test_it_matches_the_nist_vector_with_a_reseed() -> None:
    material = bytes.fromhex(
        "06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d"
        "0e66f71edc43e42a45ad3c6fc6cdc4df01920a4e669ed3a85ae8a33b35a74ad7"
        "fb2a6bb4cf395ce00334a9c9a5a5d552"
    )
    drbg = HmacDrbg(material[:32], material[32:48])
    drbg.reseed(material[48:])
    drbg.generate(128)
    assert drbg.generate(128).hex() == (
        "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb"
        "2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842"
        "e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a802254"
        "22918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124"
    )


def _spec_stream(entropy: bytes, personalization: bytes, n_bytes: int, chunk: int) -> bytes:
    """SP 800-90A HMAC_DRBG written out with nothing but hmac, generating `chunk` at a time."""

    def mac(key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, hashlib.sha256).digest()

    def update(key: bytes, value: bytes, data: bytes) -> tuple[bytes, bytes]:
        key = mac(key, value + b"\x00" + data)
        value = mac(key, value)
        if data:
            key = mac(key, value + b"\x01" + data)
            value = mac(key, value)
        return key, value

    key, value = update(b"\x00" * 32, b"\x01" * 32, entropy + personalization)
    out = b""
    while len(out) < n_bytes:
        block = b""
        while len(block) < chunk:
            value = mac(key, value)
            block += value
        out += block[:chunk]
        key, value = update(key, value, b"")
    return out[:n_bytes]


@pytest.mark.parametrize(("seed", "entropy"), [(0, b"int:0"), (20020101, b"int:20020101")])
def test_it_seeds_the_stream_as_documented(seed: int, entropy: bytes) -> None:
    n = 2 * STREAM_CHUNK + 100  # crosses two chunk boundaries
    expected = _spec_stream(entropy, b"psytrial.core.drbg/1", n, STREAM_CHUNK)
    source = SeededSource(seed)
    got = source.token_bytes(5) + source.token_bytes(n - 5)
    assert got == expected
    assert PERSONALIZATION == b"psytrial.core.drbg/1"


def test_it_keeps_the_pinned_seeded_outputs() -> None:
    assert SeededSource(0).token_bytes(32).hex() == (
        "c5989d23602fb97029d459d805c7a2c93e4c3283090ce148fe9b3cf573b56297"
    )
    source = SeededSource(20020101)
    assert [source.randbelow(10) for _ in range(12)] == [9, 7, 0, 3, 7, 2, 6, 6, 5, 2, 4, 7]
    assert SeededSource(b"\x00\x01").randbelow(2**64) == 10967659692381705101


def test_it_gives_the_same_stream_for_the_same_seed_and_another_for_another() -> None:
    assert SeededSource(7).token_bytes(64) == SeededSource(7).token_bytes(64)
    assert SeededSource(7).token_bytes(64) != SeededSource(8).token_bytes(64)
    # an int seed and the bytes of its digits are different seeds
    assert SeededSource(7).token_bytes(64) != SeededSource(b"7").token_bytes(64)


def _reference_randbelow(stream: bytes, n: int, count: int) -> list[int]:
    """Rejection sampling on the top k = bit_length(n - 1) bits of ceil(k / 8) stream bytes."""
    k = (n - 1).bit_length()
    width = (k + 7) // 8
    out, pos = [], 0
    while len(out) < count:
        x = int.from_bytes(stream[pos : pos + width], "big") >> (8 * width - k)
        pos += width
        if x < n:
            out.append(x)
    return out


@pytest.mark.parametrize("n", [2, 3, 6, 7, 255, 256, 257, 1000, 31**8, 2**64 + 1])
def test_it_draws_randbelow_from_the_top_bits_with_rejection(n: int) -> None:
    stream = SeededSource(99).token_bytes(20_000)
    source = SeededSource(99)
    got = [source.randbelow(n) for _ in range(300)]
    assert got == _reference_randbelow(stream, n, 300)
    assert all(0 <= x < n for x in got)


def test_it_consumes_nothing_for_randbelow_of_one() -> None:
    source = SeededSource(5)
    assert [source.randbelow(1) for _ in range(10)] == [0] * 10
    assert source.token_bytes(16) == SeededSource(5).token_bytes(16)


def test_it_draws_randbelow_three_without_bias() -> None:
    source = SeededSource(2024)
    draws = [source.randbelow(3) for _ in range(30_000)]
    counts = [draws.count(v) for v in range(3)]
    assert stats.chisquare(counts).pvalue > 0.001


def test_the_bias_check_can_fail_on_a_modulo_draw() -> None:
    # Reducing two random bits modulo 3 makes 0 twice as likely: the check must catch that.
    stream = SeededSource(2024).token_bytes(30_000)
    counts = [0, 0, 0]
    for byte in stream:
        counts[(byte >> 6) % 3] += 1
    assert stats.chisquare(counts).pvalue < 1e-10


def test_it_spreads_randbelow_evenly_over_many_values() -> None:
    source = SeededSource(11)
    draws = [source.randbelow(31) for _ in range(31_000)]
    counts = [draws.count(v) for v in range(31)]
    assert stats.chisquare(counts).pvalue > 0.001


def test_the_system_source_gives_values_in_range_and_fresh_bytes() -> None:
    source = SystemSource()
    assert all(0 <= source.randbelow(7) < 7 for _ in range(200))
    assert len(source.token_bytes(32)) == 32
    assert source.token_bytes(32) != source.token_bytes(32)
    assert isinstance(source, RandomSource)
    assert isinstance(SeededSource(1), RandomSource)


@pytest.mark.parametrize("source", [SeededSource(1), SystemSource()])
def test_it_refuses_an_empty_range_and_a_negative_length(source: RandomSource) -> None:
    with pytest.raises(ValueError, match="expected an int >= 1, got 0"):
        source.randbelow(0)
    with pytest.raises(ValueError, match="expected an int >= 0, got -1"):
        source.token_bytes(-1)


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (-1, ValueError, "expected an int >= 0, got -1"),
        (b"", ValueError, "expected non-empty bytes"),
        (True, TypeError, "got bool"),
        ("12", TypeError, "got str"),
        (1.5, TypeError, "got float"),
    ],
)
def test_it_refuses_bad_seeds(seed: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        SeededSource(seed)  # type: ignore[arg-type]


def test_it_encodes_seeds_with_their_type() -> None:
    assert seed_entropy(12) == b"int:12"
    assert seed_entropy(b"\x0c") == b"bytes:\x0c"


def test_it_hides_the_seed_in_its_repr() -> None:
    assert "20020101" not in repr(SeededSource(20020101))


def test_it_limits_a_request_and_the_requests_between_reseeds() -> None:
    drbg = HmacDrbg(b"e" * 32)
    assert len(drbg.generate(1 << 16)) == 1 << 16
    with pytest.raises(ValueError, match="n_bytes: expected 0 to 65536, got 65537"):
        drbg.generate((1 << 16) + 1)
    drbg._reseed_counter = (1 << 48) + 1
    with pytest.raises(RuntimeError, match="reseed required"):
        drbg.generate(1)
    drbg.reseed(b"f" * 32)
    assert len(drbg.generate(1)) == 1


def test_the_system_source_does_not_replay_its_buffer_in_a_forked_child() -> None:
    source = SystemSource()
    source.token_bytes(1)  # fills the buffer that a child would inherit
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, reported through the pipe
        os.write(write_end, source.token_bytes(32))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read_end, 32)
    os.close(read_end)
    os.close(write_end)
    assert len(child) == 32
    assert child != source.token_bytes(32)


def test_the_buffered_base_needs_a_chunk_source() -> None:
    with pytest.raises(NotImplementedError):
        _BufferedSource().randbelow(5)
