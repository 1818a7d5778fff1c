"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes (Ed25519).

Byte compatibility is pinned to published vectors made by other
implementations; Ed25519 is deterministic (RFC 8032), so signing the same text
with the same key must give the very same note:

- golang.org/x/mod sumdb/note, note_test.go (TestSign, TestOpen, TestNewVerifier;
  golang/mod commit 02c991387e35f9e4c0a9b7ce137717055f8d716d): the PeterNeumann
  and EnochRoot keys and signatures.
- the worked example of c2sp.org/signed-note as published before the spec's
  rewrite (C2SP/C2SP commit d4c16da5e7687a016619074e78dad84b2c7238cc, quoted by
  other implementations' tests): key example.com/foo. That its Ed25519
  signature verifies here is itself the check that the bytes are right.
- the example of c2sp.org/tlog-checkpoint (example.com/behind-the-sofa), whose
  verifier key is not published: used for the body format and as a signature
  from a key we do not know.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from casedraw.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteError,
    NoteSigner,
    NoteVerifier,
    VerifierKey,
    key_hash,
    open_checkpoint,
    sign_checkpoint,
)
from casedraw.ledger.merkle import EMPTY_ROOT, TreeBuilder, leaf_hash

EM = "\u2014"

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = b"If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()
ENOCH_SIG = (
    f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
).encode()
GO_NOTE = GO_TEXT + b"\n" + PETER_SIG

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM} example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
).encode()

SOFA_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_SIG = (
    f"{EM} example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
).encode()

ORIGIN = "casedraw.example/log"
SEED = hashlib.sha256(b"casedraw test log key").digest()
OTHER_SEED = hashlib.sha256(b"casedraw other key").digest()


def make_checkpoint(size: int = 5) -> Checkpoint:
    builder = TreeBuilder()
    for i in range(size):
        builder.append(leaf_hash(b"event %d" % i))
    return Checkpoint(origin=ORIGIN, size=size, root=builder.root())


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.from_seed(ORIGIN, SEED)


@pytest.fixture
def verifier(signer) -> NoteVerifier:
    return NoteVerifier.from_vkey(signer.verifier_key())


def noncanonical(b64: str) -> str:
    """The same bytes spelled differently: flip an unused low bit of the last character before '='."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = b64.rstrip("=")
    twin = alphabet[alphabet.index(data[-1]) ^ 1]
    return data[:-1] + twin + b64[len(data) :]


def signature_line(name: str, key_id: bytes, signature: bytes) -> bytes:
    return f"{EM} {name} {base64.b64encode(key_id + signature).decode()}\n".encode()


# --- published vectors ---------------------------------------------------------------


def test_go_signer_key_reproduces_the_published_note_byte_for_byte():
    signer = NoteSigner.from_skey(GO_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_hash == bytes.fromhex("c74f20a3")
    assert signer.signer_key() == GO_SKEY
    assert signer.verifier_key() == GO_VKEY
    assert signer.sign(GO_TEXT) == GO_NOTE
    assert "AYEKFALV" not in repr(signer)  # the seed never shows


def test_go_note_opens_and_unknown_cosigners_are_ignored():
    peter = NoteVerifier.from_vkey(GO_VKEY)
    enoch = NoteVerifier.from_vkey(ENOCH_VKEY)
    both = NoteVerifier.from_vkeys([GO_VKEY, ENOCH_VKEY])
    note = GO_TEXT + b"\n" + PETER_SIG + ENOCH_SIG
    assert peter.open(GO_NOTE) == (GO_TEXT, ["PeterNeumann"])
    assert peter.open(note) == (GO_TEXT, ["PeterNeumann"])
    assert enoch.open(note) == (GO_TEXT, ["EnochRoot"])
    assert both.open(note) == (GO_TEXT, ["PeterNeumann", "EnochRoot"])
    with pytest.raises(NoteError, match="no signature from a trusted key"):
        enoch.open(GO_NOTE)


def test_go_rejections():
    peter = NoteVerifier.from_vkey(GO_VKEY)
    with pytest.raises(NoteError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        peter.open(GO_TEXT + b"\n" + PETER_SIG[:60] + b"ABCD" + PETER_SIG[60:])
    with pytest.raises(NoteError, match="more than 100 signatures"):
        peter.open(GO_TEXT + b"\n" + PETER_SIG * 101)
    bad_messages = [
        GO_TEXT,
        GO_TEXT + b"\n",
        GO_TEXT + b"\n" + PETER_SIG[:-1],
        b"\x01" + GO_TEXT + b"\n" + PETER_SIG,
        b"\xff" + GO_TEXT + b"\n" + PETER_SIG,
        GO_TEXT + b"\n" + f"{EM} Bad Name ".encode() + PETER_SIG.split(b" ")[-1],
        GO_TEXT + b"\n" + PETER_SIG + b"Unexpected line.\n",
    ]
    for message in bad_messages:
        with pytest.raises(NoteError):
            peter.open(message)


def test_go_key_manglings_are_refused():
    """As TestNewVerifier and TestNewSigner: every proper substring, every byte bumped."""
    for key, parse in ((GO_VKEY, NoteVerifier.from_vkey), (GO_SKEY, NoteSigner.from_skey)):
        for i in range(len(key) + 1):
            for j in range(i + 1, len(key) + 1):
                if (i, j) != (0, len(key)):
                    with pytest.raises(NoteError):
                        parse(key[i:j])
        for i in range(len(key)):
            with pytest.raises(NoteError):
                parse(key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :])
    with pytest.raises(NoteError):  # wrong key length, with a matching hash
        NoteVerifier.from_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteError):  # unknown algorithm, with a matching hash
        NoteVerifier.from_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_signed_note_spec_example_opens():
    key = VerifierKey.parse(SPEC_VKEY)
    assert key.text() == SPEC_VKEY
    assert key.public_key.hex() == "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
    assert NoteVerifier([key]).open(SPEC_NOTE) == (b"This is an example message.\n", ["example.com/foo"])
    with pytest.raises(NoteError, match="invalid signature"):
        NoteVerifier([key]).open(SPEC_NOTE.replace(b"example message", b"Example message"))


def test_tlog_checkpoint_spec_example(signer, verifier):
    checkpoint = Checkpoint.parse(SOFA_BODY)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.body() == SOFA_BODY
    # Its log's key is not ours: alone it opens for nobody here...
    with pytest.raises(NoteError, match="no signature from a trusted key"):
        open_checkpoint(verifier, SOFA_BODY + b"\n" + SOFA_SIG)
    # ...and beside our cosignature it is ignored.
    cosigned = SOFA_BODY + b"\n" + SOFA_SIG + signer.signature_line(SOFA_BODY).encode()
    assert open_checkpoint(verifier, cosigned, origin="example.com/behind-the-sofa") == checkpoint


# --- our own notes --------------------------------------------------------------------


def test_round_trip_and_exact_layout(signer, verifier):
    checkpoint = make_checkpoint()
    note = sign_checkpoint(signer, checkpoint)
    body = f"{ORIGIN}\n5\n{base64.b64encode(checkpoint.root).decode()}\n".encode()
    assert checkpoint.body() == body
    assert note.startswith(body + b"\n" + f"{EM} {ORIGIN} ".encode())
    assert note.endswith(b"\n") and note.count(b"\n") == 5
    assert open_checkpoint(verifier, note, origin=ORIGIN) == checkpoint
    assert verifier.open(note) == (body, [ORIGIN])

    # The signature line checked by hand, with cryptography directly.
    raw = base64.b64decode(note.split(b" ")[-1])
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
    assert raw[:4] == expected_id == signer.key_hash == key_hash(ORIGIN, signer.public_key)
    assert len(raw) == 68
    Ed25519PublicKey.from_public_bytes(signer.public_key).verify(raw[4:], body)


def test_key_strings_have_the_standard_format_and_parse_back(signer):
    vkey, skey = signer.verifier_key(), signer.signer_key()
    b64 = re.escape(base64.b64encode(b"\x01" + signer.public_key).decode())
    assert re.fullmatch(rf"{re.escape(ORIGIN)}\+{signer.key_hash.hex()}\+{b64}", vkey)
    assert re.fullmatch(r"[0-9a-f]{8}", vkey.split("+")[1])
    assert skey == f"PRIVATE+KEY+{ORIGIN}+{signer.key_hash.hex()}+" + base64.b64encode(b"\x01" + SEED).decode()
    (key,) = NoteVerifier.from_vkey(vkey).keys
    assert (key.name, key.key_hash, key.public_key) == (ORIGIN, signer.key_hash, signer.public_key)
    assert key.text() == vkey
    again = NoteSigner.from_skey(skey)
    assert (again.name, again.public_key, again.verifier_key()) == (ORIGIN, signer.public_key, vkey)


def test_generated_keys_are_fresh_and_work():
    a, b = NoteSigner.generate(ORIGIN), NoteSigner.generate(ORIGIN)
    assert a.public_key != b.public_key
    note = sign_checkpoint(a, make_checkpoint())
    assert open_checkpoint(NoteVerifier.from_vkey(a.verifier_key()), note) == make_checkpoint()
    with pytest.raises(NoteError):
        open_checkpoint(NoteVerifier.from_vkey(b.verifier_key()), note)


def test_changed_checkpoint_fields_fail(signer, verifier):
    checkpoint = make_checkpoint()
    note = sign_checkpoint(signer, checkpoint)
    body, sig = note.split(b"\n\n")
    root64 = base64.b64encode(checkpoint.root)
    other_root64 = base64.b64encode(bytes([checkpoint.root[0] ^ 1]) + checkpoint.root[1:])
    for forged_body in [
        body.replace(b"\n5\n", b"\n6\n"),
        body.replace(root64, other_root64),
        body.replace(b"casedraw.example", b"casedraw.exampl3"),
    ]:
        with pytest.raises(NoteError, match="invalid signature"):
            open_checkpoint(verifier, forged_body + b"\n\n" + sig)


def test_every_changed_byte_fails(signer, verifier):
    note = sign_checkpoint(signer, make_checkpoint())
    for i in range(len(note)):
        for new in {note[i] ^ 1, note[i] ^ 0x20, ord("A"), ord("\n")} - {note[i]}:
            with pytest.raises((NoteError, CheckpointError)):
                open_checkpoint(verifier, note[:i] + bytes([new]) + note[i + 1 :])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_byte_change_fails(data):
    signer = NoteSigner.from_seed(ORIGIN, SEED)
    verifier = NoteVerifier.from_vkey(signer.verifier_key())
    note = sign_checkpoint(signer, make_checkpoint(data.draw(st.integers(0, 40), label="size")))
    i = data.draw(st.integers(0, len(note) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != note[i]), label="byte")
    with pytest.raises((NoteError, CheckpointError)):
        open_checkpoint(verifier, note[:i] + bytes([new]) + note[i + 1 :])


def test_every_changed_signature_byte_fails(signer, verifier):
    body = make_checkpoint().body()
    raw = base64.b64decode(signer.sign(body).split(b" ")[-1])
    for i in range(len(raw)):
        forged = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        note = body + b"\n" + signature_line(ORIGIN, forged[:4], forged[4:])
        # A changed key hash makes it someone else's line, which is ignored.
        message = "no signature from a trusted key" if i < 4 else "invalid signature"
        with pytest.raises(NoteError, match=message):
            open_checkpoint(verifier, note)


def test_signatures_by_other_keys(signer, verifier):
    body = make_checkpoint().body()
    impostor = NoteSigner.from_seed(ORIGIN, OTHER_SEED)  # same name, other key: other key hash
    assert impostor.key_hash != signer.key_hash
    with pytest.raises(NoteError, match="no signature from a trusted key"):
        open_checkpoint(verifier, impostor.sign(body))
    # Claiming our name and key hash with someone else's signature is an attack, not noise.
    stolen = base64.b64decode(impostor.sign(body).split(b" ")[-1])[4:]
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(verifier, body + b"\n" + signature_line(ORIGIN, signer.key_hash, stolen))
    # Unknown signers around ours are ignored, wherever they stand.
    witness = NoteSigner.from_seed("witness.example/w1", OTHER_SEED)
    ours, theirs = signer.signature_line(body).encode(), witness.signature_line(body).encode()
    for lines in (theirs + ours, ours + theirs, theirs + ours + SOFA_SIG + PETER_SIG):
        assert verifier.open(body + b"\n" + lines) == (body, [ORIGIN])
    both = NoteVerifier.from_vkeys([signer.verifier_key(), witness.verifier_key()])
    assert both.open(body + b"\n" + theirs + ours) == (body, ["witness.example/w1", ORIGIN])


def test_a_bad_second_signature_from_our_key_rejects_the_note(signer, verifier):
    """The spec has every known-key line verified; Go's note.Open skips repeats, we do not."""
    body = make_checkpoint().body()
    line = signer.signature_line(body).encode()
    assert verifier.open(body + b"\n" + line + line) == (body, [ORIGIN])
    bad = signer.signature_line(make_checkpoint(6).body()).encode()
    with pytest.raises(NoteError, match="invalid signature"):
        verifier.open(body + b"\n" + line + bad)


def test_missing_or_malformed_signature_lines(signer, verifier):
    body = make_checkpoint().body()
    line = signer.signature_line(body).encode()
    sig64 = line.split(b" ")[-1].rstrip(b"\n")
    name = ORIGIN.encode()
    cases = {
        "no blank line": body,
        "no signature lines": body + b"\n",
        "does not end with a newline": body + b"\n" + line[:-1],
        "does not start with an em dash": body + b"\n" + b"-- " + name + b" " + sig64 + b"\n",
        "em dash and a space": body + b"\n" + EM.encode() + name + b" " + sig64 + b"\n",
        "no signature after the key name": body + b"\n" + EM.encode() + b" " + name + b"\n",
        "not canonical standard base64": body + b"\n" + EM.encode() + b" " + name + b"  " + sig64 + b"\n",
        "must not contain '\\+'": body + b"\n" + EM.encode() + b" a+b " + sig64 + b"\n",
        "key name must be a non-empty": body + b"\n" + EM.encode() + b"  " + sig64 + b"\n",
        "too short": body + b"\n" + EM.encode() + b" " + name + b" AAAAAA==\n",
        "control character": body + b"\n" + line[:-1] + b"\r\n",
        "not valid UTF-8": body + b"\n" + line[:1] + line[2:],
    }
    for message, note in cases.items():
        with pytest.raises(NoteError, match=message):
            verifier.open(note)
    # Even a line from a key we do not know must be well formed.
    with pytest.raises(NoteError, match="not canonical standard base64"):
        verifier.open(body + b"\n" + line + EM.encode() + b" stranger not-base64\n")
    # URL-safe alphabet and non-canonical trailing bits are not the standard encoding.
    urlsafe = base64.urlsafe_b64encode(base64.b64decode(sig64))
    if urlsafe != sig64:
        with pytest.raises(NoteError, match="not canonical"):
            verifier.open(body + b"\n" + EM.encode() + b" " + name + b" " + urlsafe + b"\n")
    twin = noncanonical(sig64.decode()).encode()
    assert base64.b64decode(twin) == base64.b64decode(sig64)
    with pytest.raises(NoteError, match="not canonical"):
        verifier.open(body + b"\n" + EM.encode() + b" " + name + b" " + twin + b"\n")


def test_open_checkpoint_checks_origin_and_body(signer, verifier):
    note = sign_checkpoint(signer, make_checkpoint())
    with pytest.raises(CheckpointError, match=r"not 'casedraw\.example/other'"):
        open_checkpoint(verifier, note, origin="casedraw.example/other")
    # A correctly signed note that is not a checkpoint is still refused.
    with pytest.raises(CheckpointError, match="needs an origin, a tree size and a root hash"):
        open_checkpoint(verifier, signer.sign(b"hello\n"))


def test_verifier_key_sets():
    with pytest.raises(NoteError, match="ambiguous"):
        NoteVerifier.from_vkeys([GO_VKEY, GO_VKEY])
    with pytest.raises(NoteError, match="at least one key"):
        NoteVerifier.from_vkeys([])
    with pytest.raises(NoteError, match="8 lowercase hex digits"):
        NoteVerifier.from_vkey(GO_VKEY.replace("c74f20a3", "C74F20A3"))
    with pytest.raises(NoteError, match="key hash does not match"):
        VerifierKey("PeterNeumann", b"\0\0\0\0", VerifierKey.parse(GO_VKEY).public_key)


# --- strict checkpoint bodies -------------------------------------------------------------

ROOT64 = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "must end with a newline"),
        (f"o\n5\n{ROOT64}".encode(), "must end with a newline"),
        (f"\n5\n{ROOT64}\n".encode(), "origin line is empty"),
        (f"o\n{ROOT64}\n".encode(), "needs an origin, a tree size and a root hash"),
        (f"o\n5\n{ROOT64}\next\n".encode(), "extension lines"),
        (f"o\n5\n{ROOT64}\n\n".encode(), "extension lines"),
        (f"o\n05\n{ROOT64}\n".encode(), "tree size '05'"),
        (f"o\n00\n{ROOT64}\n".encode(), "tree size '00'"),
        (f"o\n+5\n{ROOT64}\n".encode(), "tree size"),
        (f"o\n-1\n{ROOT64}\n".encode(), "tree size"),
        (f"o\n 5\n{ROOT64}\n".encode(), "tree size"),
        (f"o\n5 \n{ROOT64}\n".encode(), "tree size"),
        (f"o\n1_0\n{ROOT64}\n".encode(), "tree size"),
        (f"o\n0x5\n{ROOT64}\n".encode(), "tree size"),
        (f"o\n\u0665\n{ROOT64}\n".encode(), "tree size"),  # ARABIC-INDIC DIGIT FIVE
        (f"o\n\n{ROOT64}\n".encode(), "tree size"),
        (f"o\n{2**64}\n{ROOT64}\n".encode(), "outside 0..2\\*\\*64-1"),
        (f"o\n5\n{ROOT64[:-4]}\n".encode(), "root hash"),
        (f"o\n5\n{base64.b64encode(bytes(31)).decode()}\n".encode(), "root hash is 31 bytes"),
        (f"o\n5\n{base64.b64encode(bytes(33)).decode()}\n".encode(), "root hash is 33 bytes"),
        (f"o\n5\n{ROOT64.rstrip('=')}\n".encode(), "not canonical standard base64"),
        (f"o\n5\n{noncanonical(ROOT64)}\n".encode(), "not canonical standard base64"),
        (f"o\n5\n{base64.urlsafe_b64encode(bytes([251] * 32)).decode()}\n".encode(), "not canonical"),
        (f"o\n5\n {ROOT64}\n".encode(), "not canonical standard base64"),
        (f"o\r\n5\n{ROOT64}\n".encode(), "control character"),
        (f"o\tx\n5\n{ROOT64}\n".encode(), "control character"),
        (b"\xff\n5\n" + ROOT64.encode() + b"\n", "not valid UTF-8"),
    ],
)
def test_malformed_checkpoint_bodies(body, message):
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(body)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("", 1, EMPTY_ROOT), "origin must be a non-empty string"),
        (("a\nb", 1, EMPTY_ROOT), "single line"),
        (("a\x00b", 1, EMPTY_ROOT), "control character"),
        (("a\ud800", 1, EMPTY_ROOT), "not valid Unicode"),
        (("o", -1, EMPTY_ROOT), "outside"),
        (("o", 2**64, EMPTY_ROOT), "outside"),
        (("o", True, EMPTY_ROOT), "must be an integer"),
        (("o", "5", EMPTY_ROOT), "must be an integer"),
        (("o", 1, EMPTY_ROOT[:31]), "32 bytes"),
        (("o", 1, EMPTY_ROOT.hex()), "32 bytes"),
    ],
)
def test_impossible_checkpoints_cannot_be_built(fields, message):
    with pytest.raises(CheckpointError, match=message):
        Checkpoint(*fields)


def test_empty_log_and_largest_size():
    empty = Checkpoint("o", 0, EMPTY_ROOT)
    assert empty.body() == b"o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert Checkpoint.parse(empty.body()) == empty
    largest = Checkpoint("o", 2**64 - 1, EMPTY_ROOT)
    assert Checkpoint.parse(largest.body()) == largest


origins = st.text(st.characters(min_codepoint=0x20, exclude_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(origins, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32))
def test_any_checkpoint_round_trips(origin, size, root):
    checkpoint = Checkpoint(origin, size, root)
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    signer = NoteSigner.from_seed(ORIGIN, SEED)
    note = sign_checkpoint(signer, checkpoint)
    assert open_checkpoint(NoteVerifier.from_vkey(signer.verifier_key()), note, origin=origin) == checkpoint


# --- what may be signed and who may sign --------------------------------------------------


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\nb", "a\tb", "a\u00a0b", "a\u2003b", "a\u3000b", "\x01"])
def test_bad_key_names_are_refused(name):
    with pytest.raises(NoteError, match="key name"):
        NoteSigner.from_seed(name, SEED)


def test_seed_must_be_32_bytes():
    with pytest.raises(NoteError, match="32 bytes"):
        NoteSigner.from_seed(ORIGIN, SEED[:31])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "non-empty"),
        (b"no newline", "end with a newline"),
        (b"a\n\nb\n", "blank lines"),
        (b"\na\n", "blank lines"),
        (b"a\n\n", "blank lines"),
        (b"a\x00\n", "control character"),
        (b"a\r\n", "control character"),
        (b"\xc3\n", "UTF-8"),
    ],
)
def test_only_well_formed_note_text_is_signed(signer, body, message):
    with pytest.raises(NoteError, match=message):
        signer.sign(body)
