"""Signed checkpoints of the event log: C2SP tlog-checkpoint in a C2SP signed note.

A checkpoint is the log's tree head as text (https://c2sp.org/tlog-checkpoint):

    <origin>\\n<tree size>\\n<base64 root hash>\\n

and it is published as a signed note (https://c2sp.org/signed-note): the text,
a blank line, then one line per signature,

    — <key name> <base64(4-byte key hash || 64-byte Ed25519 signature)>\\n

where "— " is U+2014 EM DASH and a space. The key hash is the first four bytes
of SHA-256(key name || 0x0A || 0x01 || public key). Keys travel as the text
formats of Go's golang.org/x/mod/sumdb/note, so existing witnesses, monitors
and the Go tooling can read what we publish, and we can read theirs.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ROOT_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1  # tree sizes are uint64 everywhere else in the ecosystem
SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
ALG_ED25519 = 0x01  # signature type byte of c2sp.org/signed-note
ED25519_SIG_SIZE = 64
# The spec asks verifiers to cap signatures and accept at least 16; 100 is Go's cap.
MAX_SIGNATURES = 100

_SIZE_RE = re.compile(r"0|[1-9][0-9]*")  # ASCII digits only, no sign, no leading zeros
_KEY_HASH_RE = re.compile(r"[0-9a-f]{8}")
_SKEY_PREFIX = "PRIVATE+KEY+"


class CheckpointError(ValueError):
    """A checkpoint body is malformed, or not the checkpoint that was expected."""


class NoteError(ValueError):
    """A signed note or key is malformed, or no trusted signature on the note verifies."""


# --- helpers ----------------------------------------------------------------


def _b64decode(text: str) -> bytes:
    """Standard base64 with padding, refusing anything that would not re-encode identically."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    # Non-canonical spellings (stray bits in the last character) decode to the
    # same bytes; refusing them keeps one byte string per value.
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("non-canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _control_character(text: str) -> str | None:
    """The first ASCII control character other than newline, which notes must not contain."""
    return next((c for c in text if c < " " and c != "\n"), None)


def _check_key_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise NoteError("key name must be a non-empty string")
    bad = next((c for c in name if c == "+" or c.isspace() or c < " "), None)
    if bad is not None:
        raise NoteError(f"key name {name!r} must not contain {bad!r} (no '+', spaces or control characters)")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NoteError(f"key name {name!r} is not valid Unicode text") from exc


def key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


# --- checkpoints ------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many leaves, and their Merkle root."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise CheckpointError("origin must be a non-empty string")
        if "\n" in self.origin:
            raise CheckpointError("origin must be a single line")
        if (bad := _control_character(self.origin)) is not None:
            raise CheckpointError(f"origin contains the control character {bad!r}")
        try:
            self.origin.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CheckpointError("origin is not valid Unicode text") from exc
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError("tree size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"tree size {self.size} is outside 0..2**64-1")
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_SIZE:
            raise CheckpointError(f"root hash must be {ROOT_SIZE} bytes")

    def body(self) -> bytes:
        """The note text: origin, size and root, each on its own line, no extension lines."""
        return f"{self.origin}\n{self.size}\n{_b64encode(self.root)}\n".encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        """Read a checkpoint body strictly: exactly what body() writes, nothing else."""
        if not isinstance(body, bytes):
            raise CheckpointError("checkpoint body must be bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("checkpoint body is not valid UTF-8") from exc
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint body must end with a newline")
        if (bad := _control_character(text)) is not None:
            raise CheckpointError(f"checkpoint body contains the control character {bad!r}")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint body needs an origin, a tree size and a root hash line")
        if len(lines) > 3:
            raise CheckpointError("checkpoint body has extension lines, which casedraw does not accept")
        origin, size_line, root_line = lines
        if not origin:
            raise CheckpointError("origin line is empty")
        if not _SIZE_RE.fullmatch(size_line):
            raise CheckpointError(f"tree size {size_line!r} is not a decimal number without leading zeros")
        try:
            root = _b64decode(root_line)
        except ValueError as exc:
            raise CheckpointError(f"root hash {root_line!r} is not canonical standard base64") from exc
        if len(root) != ROOT_SIZE:
            raise CheckpointError(f"root hash is {len(root)} bytes, not {ROOT_SIZE}")
        return cls(origin=origin, size=int(size_line), root=root)


# --- keys -------------------------------------------------------------------


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key, as in `<name>+<hex key hash>+<base64(0x01 || key)>`."""

    name: str
    key_hash: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        if self.key_hash != key_hash(self.name, self.public_key):
            raise NoteError(f"key hash does not match the key for {self.name}")

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise NoteError("verifier key must be <name>+<key hash>+<key>")
        name, hash_hex, key64 = parts
        _check_key_name(name)
        if not _KEY_HASH_RE.fullmatch(hash_hex):
            raise NoteError(f"verifier key hash {hash_hex!r} is not 8 lowercase hex digits")
        try:
            raw = _b64decode(key64)
        except ValueError as exc:
            raise NoteError("verifier key material is not canonical standard base64") from exc
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("verifier key is not a 0x01-tagged 32-byte Ed25519 key")
        return cls(name=name, key_hash=bytes.fromhex(hash_hex), public_key=raw[1:])

    def text(self) -> str:
        return f"{self.name}+{self.key_hash.hex()}+{_b64encode(bytes([ALG_ED25519]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != ED25519_SIG_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _check_note_text(body: bytes) -> None:
    """What we sign must open again everywhere: UTF-8 lines, each ending in a newline, none blank."""
    if not isinstance(body, bytes) or not body:
        raise NoteError("note text must be non-empty bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note text is not valid UTF-8") from exc
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if (bad := _control_character(text)) is not None:
        raise NoteError(f"note text contains the control character {bad!r}")
    # The spec allows blank lines in the text, but a blank line is what ends
    # the text; we never need one, so we refuse to sign any.
    if text.startswith("\n") or "\n\n" in text:
        raise NoteError("note text must not contain blank lines")


class NoteSigner:
    """An Ed25519 note signing key with its name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_key_name(name)
        self._name = name
        self._private = private_key
        self._public = private_key.public_key().public_bytes_raw()
        self._key_hash = key_hash(name, self._public)

    @classmethod
    def from_seed(cls, name: str, seed32: bytes) -> NoteSigner:
        if not isinstance(seed32, bytes) or len(seed32) != 32:
            raise NoteError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed32))

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Load `PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || seed)>`, checking its hash."""
        if not isinstance(skey, str) or not skey.startswith(_SKEY_PREFIX):
            raise NoteError("signer key must start with PRIVATE+KEY+")
        parts = skey[len(_SKEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise NoteError("signer key must be PRIVATE+KEY+<name>+<key hash>+<key>")
        name, hash_hex, key64 = parts
        if not _KEY_HASH_RE.fullmatch(hash_hex):
            raise NoteError(f"signer key hash {hash_hex!r} is not 8 lowercase hex digits")
        try:
            raw = _b64decode(key64)
        except ValueError as exc:
            raise NoteError("signer key material is not canonical standard base64") from exc
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("signer key is not a 0x01-tagged 32-byte Ed25519 seed")
        signer = cls.from_seed(name, raw[1:])
        # The hash names the public key, so it can only be checked after deriving it.
        if signer.key_hash.hex() != hash_hex:
            raise NoteError(f"signer key hash {hash_hex} does not match the key")
        return signer

    @property
    def name(self) -> str:
        return self._name

    @property
    def public_key(self) -> bytes:
        return self._public

    @property
    def key_hash(self) -> bytes:
        return self._key_hash

    def __repr__(self) -> str:  # never show the seed
        return f"NoteSigner({self._name}+{self._key_hash.hex()})"

    def signature_line(self, body: bytes) -> str:
        """`— <name> <base64(key hash || signature)>\\n` over exactly these text bytes."""
        _check_note_text(body)
        signature = self._private.sign(body)
        return f"{SIG_PREFIX}{self._name} {_b64encode(self._key_hash + signature)}\n"

    def sign(self, body: bytes) -> bytes:
        """The whole signed note: the text, a blank line, our signature line."""
        return body + b"\n" + self.signature_line(body).encode("utf-8")

    def signer_key(self) -> str:
        seed = self._private.private_bytes_raw()
        return f"{_SKEY_PREFIX}{self._name}+{self._key_hash.hex()}+{_b64encode(bytes([ALG_ED25519]) + seed)}"

    def verifier_key(self) -> str:
        return VerifierKey(self._name, self._key_hash, self._public).text()


# --- notes ------------------------------------------------------------------


@dataclass(frozen=True)
class _Signature:
    name: str
    key_hash: bytes
    signature: bytes


def _split_note(note: bytes) -> tuple[bytes, list[_Signature]]:
    """Separate a signed note into its text and parsed signature lines, or raise NoteError."""
    if not isinstance(note, bytes):
        raise NoteError("note must be bytes")
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("note is not valid UTF-8") from exc
    if (bad := _control_character(text)) is not None:
        raise NoteError(f"note contains the control character {bad!r}")
    # The text ends at the last blank line; it keeps its final newline.
    split = note.rfind(b"\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    body, block = note[: split + 1], note[split + 2 :].decode("utf-8")
    if not block:
        raise NoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise NoteError("note's last signature line does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return body, [_parse_signature_line(number, line) for number, line in enumerate(lines, 1)]


def _parse_signature_line(number: int, line: str) -> _Signature:
    if not line.startswith(SIG_PREFIX):
        raise NoteError(f"signature line {number} does not start with an em dash and a space")
    name, space, sig64 = line[len(SIG_PREFIX) :].partition(" ")
    if not space:
        raise NoteError(f"signature line {number} has no signature after the key name")
    try:
        _check_key_name(name)
    except NoteError as exc:
        raise NoteError(f"signature line {number}: {exc}") from exc
    try:
        raw = _b64decode(sig64)
    except ValueError as exc:
        raise NoteError(f"signature line {number}: signature is not canonical standard base64") from exc
    if len(raw) < 5:
        raise NoteError(f"signature line {number}: signature is too short to hold a key hash and a signature")
    return _Signature(name=name, key_hash=raw[:4], signature=raw[4:])


class NoteVerifier:
    """Opens signed notes with a fixed set of trusted keys (usually one: the log's)."""

    def __init__(self, keys: Iterable[VerifierKey]) -> None:
        self._keys: dict[tuple[str, bytes], VerifierKey] = {}
        for key in keys:
            ident = (key.name, key.key_hash)
            if ident in self._keys:
                # Two keys one signature line could claim: refuse rather than guess.
                raise NoteError(f"ambiguous verifier keys for {key.name}+{key.key_hash.hex()}")
            self._keys[ident] = key
        if not self._keys:
            raise NoteError("a note verifier needs at least one key")

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        return cls([VerifierKey.parse(vkey)])

    @classmethod
    def from_vkeys(cls, vkeys: Iterable[str]) -> NoteVerifier:
        return cls(VerifierKey.parse(vkey) for vkey in vkeys)

    @property
    def keys(self) -> tuple[VerifierKey, ...]:
        return tuple(self._keys.values())

    def open(self, note: bytes) -> tuple[bytes, list[str]]:
        """The note's text and the names of our keys that signed it; NoteError unless one did.

        Lines whose (name, key hash) is not one of our keys are ignored, as the
        spec requires (other witnesses, rotated keys). A line that does claim
        one of our keys must verify, or the whole note is rejected.
        """
        body, signatures = _split_note(note)
        verified: list[str] = []
        for sig in signatures:
            key = self._keys.get((sig.name, sig.key_hash))
            if key is None:
                continue
            if not key.verify(body, sig.signature):
                raise NoteError(f"invalid signature for key {sig.name}+{sig.key_hash.hex()}")
            if sig.name not in verified:
                verified.append(sig.name)
        if not verified:
            raise NoteError("note has no signature from a trusted key")
        return body, verified


# --- signed checkpoints -----------------------------------------------------


def sign_checkpoint(signer: NoteSigner, checkpoint: Checkpoint) -> bytes:
    """The checkpoint as a note signed by `signer`."""
    return signer.sign(checkpoint.body())


def open_checkpoint(verifier: NoteVerifier, note: bytes, *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and parse it; with `origin`, also insist it is that log's."""
    body, _ = verifier.open(note)
    checkpoint = Checkpoint.parse(body)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for origin {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
