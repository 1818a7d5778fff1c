"""Randomness sources for sealed draw rounds.

A round is sealed first; only then is its randomness taken from a source
whose value did not exist (or was not revealed) when the round was sealed, so
nobody who prepared the round could have known the outcome.

Hash chain (default, offline), normative:

    x_L     = SHA-256(b"casedraw/hashchain/v1" || secret)   secret: 32 random bytes
    x_{i-1} = SHA-256(x_i)                                   for i = L..1

The anchor x_0 is published in advance. Round values are revealed in order
x_1, x_2, ..., x_L. Anyone verifies x_i by hashing it (i - j) times and
comparing with an already verified x_j (x_0 = the anchor). Knowing x_j does
not reveal x_i for i > j, because that would need a SHA-256 preimage.

drand quicknet (production): the League of Entropy beacon publishes a BLS
signature on every round number every 3 seconds; the randomness is SHA-256 of
the signature. The signature is unique per round and verifiable against the
chain's public key, so a relay cannot choose or alter it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Final, Protocol

import drand_verify

__all__ = [
    "HASHCHAIN_DOMAIN",
    "QUICKNET",
    "BeaconInvalid",
    "BeaconUnavailable",
    "DrandChain",
    "DrandFeed",
    "DrandFileFeed",
    "DrandHttpFeed",
    "Randomness",
    "drand_randomness",
    "fetch_drand",
    "hashchain_anchor",
    "hashchain_value",
    "hashchain_verify",
    "round_at",
    "round_time",
    "target_round",
]

SOURCE_HASHCHAIN: Final = "hashchain"
SOURCE_DRAND_QUICKNET: Final = "drand-quicknet"
HASHCHAIN_DOMAIN: Final = b"casedraw/hashchain/v1"
_VALUE_SIZE: Final = 32
# drand round numbers are unsigned 64-bit; drand_verify overflows beyond that.
_MAX_ROUND: Final = 2**64 - 1
# Strict: bytes.fromhex would also accept spaces, and drand_verify panics
# (an uncatchable-by-Exception PanicException) on anything that is not hex.
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
# A drand round response is a few hundred bytes; refuse to buffer more.
_MAX_RESPONSE_BYTES: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class Randomness:
    source: str  # "hashchain" or "drand-quicknet"
    index: int  # hash-chain index, or drand round number
    value: bytes  # exactly 32 bytes
    # hashchain: {} (the value is its own proof); drand: {"signature": hex}.
    # Left out of the hash so instances stay hashable despite the dict.
    proof: dict[str, str] = field(hash=False)

    def __post_init__(self) -> None:
        if len(self.value) != _VALUE_SIZE:
            raise ValueError(f"randomness value must be {_VALUE_SIZE} bytes, got {len(self.value)}")


class BeaconUnavailable(Exception):
    """The value does not exist yet or cannot be fetched now: wait and retry."""


class BeaconInvalid(Exception):
    """A value was offered that fails verification: never use it."""


# --- hash chain -------------------------------------------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


_PIVOT_EVERY = 1024


@lru_cache(maxsize=4)
def _pivots(secret: bytes, length: int) -> list[bytes]:
    """Every 1024th element from the top of the chain (x_L, x_L-1024, …), computed once per process,
    so revealing one value costs at most 1024 hashes instead of walking down the whole chain."""
    x = _sha256(HASHCHAIN_DOMAIN + secret)  # x_L
    pivots = [x]
    for step in range(1, length + 1):
        x = _sha256(x)
        if step % _PIVOT_EVERY == 0:
            pivots.append(x)
    return pivots


def _hashchain_element(secret: bytes, length: int, index: int) -> bytes:
    if len(secret) != _VALUE_SIZE:
        raise ValueError(f"hash-chain secret must be {_VALUE_SIZE} bytes, got {len(secret)}")
    if length < 1:
        raise ValueError(f"hash-chain length must be at least 1, got {length}")
    below_top = length - index
    x = _pivots(bytes(secret), length)[below_top // _PIVOT_EVERY]
    for _ in range(below_top % _PIVOT_EVERY):
        x = _sha256(x)
    return x


def hashchain_anchor(secret: bytes, length: int) -> bytes:
    """x_0, published before any round is sealed."""
    return _hashchain_element(secret, length, 0)


def hashchain_value(secret: bytes, length: int, index: int) -> Randomness:
    """x_index, to be revealed only after the round using it is sealed."""
    if not 1 <= index <= length:
        raise ValueError(f"hash-chain index must be in 1..{length}, got {index}")
    return Randomness(SOURCE_HASHCHAIN, index, _hashchain_element(secret, length, index), {})


def hashchain_verify(value: bytes, index: int, known_value: bytes, known_index: int) -> None:
    """Raise BeaconInvalid unless `value` is x_index of the chain through x_known_index."""
    if known_index < 0:
        raise ValueError(f"known hash-chain index must be >= 0, got {known_index}")
    if len(known_value) != _VALUE_SIZE:
        raise ValueError(f"known hash-chain value must be {_VALUE_SIZE} bytes, got {len(known_value)}")
    # Values are revealed strictly in order; accepting an old index again would
    # let one revealed value drive two rounds.
    if index <= known_index:
        raise BeaconInvalid(
            f"hash-chain index {index} is not after the last verified index {known_index} "
            "(reused or out of order)"
        )
    if len(value) != _VALUE_SIZE:
        raise BeaconInvalid(f"hash-chain value for index {index} must be {_VALUE_SIZE} bytes, got {len(value)}")
    x = bytes(value)
    for _ in range(index - known_index):
        x = _sha256(x)
    if x != known_value:
        raise BeaconInvalid(
            f"hash-chain value for index {index} does not lead to the verified value at index "
            f"{known_index}: hashing it {index - known_index} time(s) gives {x.hex()}, "
            f"expected {bytes(known_value).hex()}"
        )


# --- drand quicknet -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrandChain:
    chain_hash: str
    public_key: str
    period: int  # seconds between rounds
    genesis: int  # unix time of round 1


def _load_quicknet() -> DrandChain:
    raw = json.loads(resources.files("casedraw.data").joinpath("drand-quicknet.json").read_text("utf-8"))
    return DrandChain(
        chain_hash=raw["chain_hash"],
        public_key=raw["public_key"],
        period=int(raw["period_seconds"]),
        genesis=int(raw["genesis_time"]),
    )


QUICKNET: Final = _load_quicknet()


def round_at(chain: DrandChain, unix_time: int) -> int:
    """The latest round published at `unix_time`."""
    if unix_time < chain.genesis:
        raise ValueError(f"time {unix_time} is before the chain's genesis {chain.genesis}")
    return (unix_time - chain.genesis) // chain.period + 1


def round_time(chain: DrandChain, round: int) -> int:
    """The unix time at which `round` is published."""
    if round < 1:
        raise ValueError(f"drand rounds start at 1, got {round}")
    return chain.genesis + (round - 1) * chain.period


def target_round(chain: DrandChain, sealed_at_unix: int) -> int:
    """A round that certainly did not exist when the draw round was sealed.

    round_at + 1 is the next round, due within one period; + 2 adds a full
    period of margin so a sealing clock a little behind cannot pick a round
    that was already public.
    """
    return round_at(chain, sealed_at_unix) + 2


def _check_round(round: int) -> None:
    if isinstance(round, bool) or not isinstance(round, int):
        raise TypeError(f"drand round must be an int, got {type(round).__name__}")
    if not 1 <= round <= _MAX_ROUND:
        raise BeaconInvalid(f"drand round {round} does not exist (rounds are 1..2**64-1)")


def drand_randomness(round: int, signature_hex: str, chain: DrandChain = QUICKNET) -> Randomness:
    """Verify a quicknet signature for `round` and derive its randomness."""
    _check_round(round)
    if not isinstance(signature_hex, str) or _HEX.fullmatch(signature_hex) is None:
        raise BeaconInvalid(f"drand round {round}: signature is not hex: {signature_hex!r:.120}")
    if _HEX.fullmatch(chain.public_key) is None:
        raise ValueError("drand chain public key is not hex")
    try:
        randomness_hex = drand_verify.verify_quicknet(round, signature_hex, pk_str=chain.public_key)
    except ValueError as exc:
        raise BeaconInvalid(f"drand round {round}: signature does not verify ({exc})") from exc
    value = bytes.fromhex(randomness_hex)
    signature = bytes.fromhex(signature_hex)
    # drand defines randomness = SHA-256(signature); check it rather than trust the binding.
    if value != _sha256(signature):
        raise BeaconInvalid(f"drand round {round}: randomness is not SHA-256 of the signature")
    return Randomness(SOURCE_DRAND_QUICKNET, round, value, {"signature": signature.hex()})


class DrandFeed(Protocol):
    def signature(self, round: int) -> str:
        """The hex signature of `round`; BeaconUnavailable when not (yet) available."""
        ...


def _pick_signature(entries: list[Any], round: int, where: str) -> str:
    found: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("round"), int) or isinstance(entry["round"], bool):
            raise BeaconUnavailable(f"{where}: entry {n} is not an object with an integer 'round'")
        if entry["round"] != round:
            continue
        signature = entry.get("signature")
        if not isinstance(signature, str):
            raise BeaconInvalid(f"{where}: drand round {round} has no string 'signature'")
        found.add(signature.lower())
    if not found:
        raise BeaconUnavailable(f"drand round {round} is not in {where} yet")
    # BLS signatures are unique per round, so two different ones mean a tampered feed.
    if len(found) > 1:
        raise BeaconInvalid(f"{where}: drand round {round} has {len(found)} different signatures")
    return found.pop()


class DrandFileFeed:
    """Signatures recorded in a file: the package's drand-quicknet.json shape
    ({"rounds": [{"round", "signature", ...}]}) or JSON Lines of
    {"round", "signature"} objects. Re-read on every call because it grows."""

    def __init__(self, path: str | PathLike[str]) -> None:
        self.path = Path(path)

    def signature(self, round: int) -> str:
        _check_round(round)
        return _pick_signature(self._entries(), round, f"drand feed file {self.path}")

    def _entries(self) -> list[Any]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError as exc:
            raise BeaconUnavailable(f"drand feed file {self.path} does not exist yet") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise BeaconUnavailable(f"drand feed file {self.path} cannot be read: {exc}") from exc
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            return self._json_lines(text)
        if isinstance(document, dict) and isinstance(document.get("rounds"), list):
            return list(document["rounds"])
        if isinstance(document, dict) and "round" in document:
            return [document]  # JSON Lines holding a single entry
        raise BeaconUnavailable(f"drand feed file {self.path} has no 'rounds' list")

    def _json_lines(self, text: str) -> list[Any]:
        lines = text.splitlines()
        entries: list[Any] = []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError as exc:
                if n == len(lines) and not text.endswith("\n"):
                    break  # the writer is still appending this line
                # Nothing was offered for any round, so this is "retry later", not invalid.
                raise BeaconUnavailable(f"drand feed file {self.path} line {n} is not JSON: {exc}") from exc
        return entries


class DrandHttpFeed:
    """Signatures from a drand HTTP relay (e.g. https://api.drand.sh)."""

    def __init__(self, base_url: str, chain: DrandChain = QUICKNET, timeout: float = 5.0) -> None:
        # urllib would also open file:// and ftp:// URLs; a relay is HTTP(S) only.
        if not base_url.lower().startswith(("http://", "https://")):
            raise ValueError(f"drand relay URL must be http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.chain = chain
        self.timeout = timeout

    def url(self, round: int) -> str:
        return f"{self.base_url}/{self.chain.chain_hash}/public/{round}"

    def signature(self, round: int) -> str:
        _check_round(round)
        not_yet = f"drand round {round} is not published yet"
        # Don't ask a relay for a round the local clock says is still in the future.
        if round > round_at(self.chain, int(time.time())):
            raise BeaconUnavailable(not_yet)
        url = self.url(round)
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "casedraw"})
        try:
            # A fresh opener honours the proxy environment as it is now.
            with urllib.request.build_opener().open(request, timeout=self.timeout) as response:
                body = response.read(_MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code in (404, 425):  # 425 Too Early: drand's answer for future rounds
                raise BeaconUnavailable(not_yet) from exc
            raise BeaconUnavailable(f"drand relay {url} answered HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise BeaconUnavailable(f"drand relay {url} cannot be reached: {exc.reason}") from exc
        except (OSError, http.client.HTTPException) as exc:  # read timeouts, dropped connections
            raise BeaconUnavailable(f"drand relay {url} failed: {exc!r}") from exc
        return self._parse(url, round, body)

    @staticmethod
    def _parse(url: str, round: int, body: bytes) -> str:
        if len(body) > _MAX_RESPONSE_BYTES:
            raise BeaconInvalid(f"drand relay {url} sent more than {_MAX_RESPONSE_BYTES} bytes")
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BeaconInvalid(f"drand relay {url} sent a response that is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise BeaconInvalid(f"drand relay {url} sent a response that is not a JSON object")
        got = document.get("round")
        if type(got) is not int or got != round:
            raise BeaconInvalid(f"drand relay {url} answered for round {got!r} instead of {round}")
        signature = document.get("signature")
        if not isinstance(signature, str):
            raise BeaconInvalid(f"drand relay {url} sent no string 'signature' for round {round}")
        return signature


def fetch_drand(feed: DrandFeed, round: int, chain: DrandChain = QUICKNET) -> Randomness:
    """The verified randomness of `round` from `feed`."""
    return drand_randomness(round, feed.signature(round), chain)
