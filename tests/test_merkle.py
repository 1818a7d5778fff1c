"""Merkle trees of the event log: published vectors, then properties.

Expected values are checked three ways, none of which trusts merkle.py:

- the published RFC 6962 vectors of transparency-dev/merkle (roots, inclusion
  and consistency proofs over eight fixed leaves);
- the proof *shapes* of transparency-dev/merkle's generator tests, turned
  from node IDs into leaf ranges whose hashes this file computes itself;
- a small reference written here straight from the recursive definitions of
  RFC 9162, 2.1 (MTH, PATH, PROOF) with list slices and hashlib.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casedraw.ledger.merkle import (
    EMPTY_ROOT,
    ProofError,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# --- an independent reference (RFC 9162, 2.1.1, 2.1.3.1, 2.1.4.1) ------------------


def ref_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def ref_k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(hashes: list[bytes]) -> bytes:
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = ref_k(len(hashes))
    return ref_node(ref_mth(hashes[:k]), ref_mth(hashes[k:]))


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = ref_k(len(hashes))
    if m < k:
        return [*ref_path(m, hashes[:k]), ref_mth(hashes[k:])]
    return [*ref_path(m - k, hashes[k:]), ref_mth(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], b: bool) -> list[bytes]:
    if m == len(hashes):
        return [] if b else [ref_mth(hashes)]
    k = ref_k(len(hashes))
    if m <= k:
        return [*ref_subproof(m, hashes[:k], b), ref_mth(hashes[k:])]
    return [*ref_subproof(m - k, hashes[k:], False), ref_mth(hashes[:k])]


def path_sides(m: int, n: int) -> list[str]:
    """Which side each sibling of leaf m sits on, bottom-up: what a verifier must know."""
    if n == 1:
        return []
    k = ref_k(n)
    return [*path_sides(m, k), "R"] if m < k else [*path_sides(m - k, n - k), "L"]


def consistency_shape(m: int, n: int, b: bool = True) -> list[str]:
    """The roles of a consistency proof's hashes: a start node, then right (new only) or left (shared).

    Sizes with m == 0 have no such proof; they get a shape no real proof has.
    """
    if m == 0:
        return ["none"]
    if m == n:
        return [] if b else ["start"]
    k = ref_k(n)
    if m <= k:
        return [*consistency_shape(m, k, b), "R"]
    return [*consistency_shape(m - k, n - k, False), "L"]


def hashes_of(count: int, salt: bytes = b"") -> list[bytes]:
    """Distinct leaves: with repeated leaves a sibling can equal the node beside it."""
    return [ref_leaf(salt + i.to_bytes(4, "big")) for i in range(count)]


BIG = hashes_of(300)
BIG_ROOTS = [ref_mth(BIG[:n]) for n in range(len(BIG) + 1)]


def flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def fails_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_: bytes) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, root_)
    except ProofError:
        return True
    return False


def fails_consistency(m: int, n: int, old: bytes, new: bytes, proof: Sequence[bytes]) -> bool:
    try:
        verify_consistency(m, n, old, new, proof)
    except ProofError:
        return True
    return False


# --- published vectors ------------------------------------------------------------
# From github.com/transparency-dev/merkle, proof/verify_test.go (commit
# 02194e9afb6c1d95b5381350007963aa70fff472), the RFC 6962 test data inherited
# from Certificate Transparency. Their leaf indices are 1-based; here 0-based.

LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
LEAF_HASHES = [leaf_hash(d) for d in LEAVES]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def _h(*hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes]


INCLUSION_VECTORS = [  # (index, size, proof)
    (0, 1, []),
    (
        0,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        _h(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, _h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        _h(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

CONSISTENCY_VECTORS = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        _h(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        _h(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        _h(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

# sha256SomeHash of the same file: a well-formed hash that is no node of these trees.
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_hash_primitives_follow_rfc_9162():
    assert EMPTY_ROOT == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert leaf_hash(b"") == ROOTS[0]  # a one-leaf tree's root is its leaf hash
    assert node_hash(LEAF_HASHES[0], LEAF_HASHES[1]) == ROOTS[1]
    for data in [b"", b"\x00", b"casedraw", bytes(range(256))]:
        assert leaf_hash(data) == ref_leaf(data)
    assert node_hash(b"a" * 32, b"b" * 32) == ref_node(b"a" * 32, b"b" * 32)


@pytest.mark.parametrize("size", range(1, 9))
def test_published_roots(size):
    assert root(LEAF_HASHES[:size]) == ROOTS[size - 1]
    builder = TreeBuilder()
    for h in LEAF_HASHES[:size]:
        builder.append(h)
    assert (builder.size, builder.root()) == (size, ROOTS[size - 1])


def test_empty_tree():
    assert root([]) == EMPTY_ROOT == TreeBuilder().root()
    assert TreeBuilder().size == 0


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_proofs(index, size, proof):
    assert inclusion_proof(LEAF_HASHES[:size], index) == proof
    verify_inclusion(LEAF_HASHES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_probes_all_fail(index, size, proof):
    """The corruptions transparency-dev/merkle applies to each vector (corruptInclusionProof)."""
    leaf, good_root = LEAF_HASHES[index], ROOTS[size - 1]
    probes = [
        (leaf, index - 1, size, proof, good_root),
        (leaf, index + 1, size, proof, good_root),
        (leaf, index ^ 2, size, proof, good_root),
        (leaf, index, size * 2, proof, good_root),
        (leaf, index, size // 2, proof, good_root),
        (leaf_hash(b"WrongLeaf"), index, size, proof, good_root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], good_root),
        (leaf, index, size, [*proof, good_root], good_root),
        (leaf, index, size, [b"", *proof], good_root),
        (leaf, index, size, [good_root, *proof], good_root),
    ]
    for i in range(len(proof)):
        probes.append((leaf, index, size, [*proof[:i], flip(proof[i], 3), *proof[i + 1 :]], good_root))
    if proof:
        probes.append((leaf, index, size, proof[:-1], good_root))
    if len(proof) > 1:
        probes.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], good_root))
    for probe in probes:
        assert fails_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_published_consistency_proofs(old, new, proof):
    assert consistency_proof(LEAF_HASHES[:new], old) == proof
    verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY_VECTORS if v[2]])
def test_published_consistency_probes_all_fail(old, new, proof):
    """The corruptions of transparency-dev/merkle's corruptConsistencyProof."""
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, SOME_HASH, r2, proof),
        (old, new, r1, SOME_HASH, proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        probes.append((old, new, r1, r2, [*proof[:i], flip(proof[i], 4), *proof[i + 1 :]]))
    for probe in probes:
        assert fails_consistency(*probe), probe


# --- published proof shapes ----------------------------------------------------------
# transparency-dev/merkle proof/proof_test.go (TestInclusion, TestConsistency)
# lists which tree nodes each proof holds, as (level, index) node IDs and
# "rehash" runs that are hashed together into one ephemeral node. Written
# here as the half-open leaf ranges those nodes cover; their hashes come from
# ref_mth, so the expected proofs do not depend on merkle.py.

INCLUSION_SHAPES = {  # (size, index): sibling leaf ranges, bottom-up
    (1, 0): [],
    (2, 0): [(1, 2)],
    (2, 1): [(0, 1)],
    (3, 1): [(0, 1), (2, 3)],
    (7, 0): [(1, 2), (2, 4), (4, 7)],
    (7, 1): [(0, 1), (2, 4), (4, 7)],
    (7, 2): [(3, 4), (0, 2), (4, 7)],
    (7, 3): [(2, 3), (0, 2), (4, 7)],
    (7, 4): [(5, 6), (6, 7), (0, 4)],
    (7, 5): [(4, 5), (6, 7), (0, 4)],
    (7, 6): [(4, 6), (0, 4)],
    (4, 2): [(3, 4), (0, 2)],
    (5, 3): [(2, 3), (0, 2), (4, 5)],
    (6, 3): [(2, 3), (0, 2), (4, 6)],
    (6, 4): [(5, 6), (0, 4)],
    (15, 10): [(11, 12), (8, 10), (12, 15), (0, 8)],
    (31, 24): [(25, 26), (26, 28), (28, 31), (16, 24), (0, 16)],
    (95, 81): [(80, 81), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)],
}

CONSISTENCY_SHAPES = {  # (old size, new size): leaf ranges
    (1, 2): [(1, 2)],
    (1, 4): [(1, 2), (2, 4)],
    (1, 6): [(1, 2), (2, 4), (4, 6)],
    (2, 3): [(2, 3)],
    (2, 8): [(2, 4), (4, 8)],
    (3, 7): [(2, 3), (3, 4), (0, 2), (4, 7)],
    (4, 7): [(4, 7)],
    (5, 7): [(4, 5), (5, 6), (6, 7), (0, 4)],
    (6, 7): [(4, 6), (6, 7), (0, 4)],
    (7, 8): [(6, 7), (7, 8), (4, 6), (0, 4)],
    **{(n, n): [] for n in (1, 2, 3, 4, 5, 7, 8)},
    (2, 4): [(2, 4)],
    (3, 5): [(2, 3), (3, 4), (0, 2), (4, 5)],
    (3, 6): [(2, 3), (3, 4), (0, 2), (4, 6)],
    (4, 6): [(4, 6)],
    (1, 7): [(1, 2), (2, 4), (4, 7)],
    (10, 15): [(8, 10), (10, 12), (12, 15), (0, 8)],
    (24, 31): [(16, 24), (24, 31), (0, 16)],
    (81, 95): [(80, 81), (81, 82), (82, 84), (84, 88), (88, 95), (64, 80), (0, 64)],
}


@pytest.mark.parametrize(("size", "index"), list(INCLUSION_SHAPES))
def test_inclusion_proof_shapes(size, index):
    expected = [ref_mth(BIG[lo:hi]) for lo, hi in INCLUSION_SHAPES[(size, index)]]
    assert inclusion_proof(BIG[:size], index) == expected
    verify_inclusion(BIG[index], index, size, expected, BIG_ROOTS[size])


@pytest.mark.parametrize(("old", "new"), list(CONSISTENCY_SHAPES))
def test_consistency_proof_shapes(old, new):
    expected = [ref_mth(BIG[lo:hi]) for lo, hi in CONSISTENCY_SHAPES[(old, new)]]
    assert consistency_proof(BIG[:new], old) == expected
    verify_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[new], expected)


# --- against the reference, exhaustively --------------------------------------------


def test_roots_and_builder_match_the_reference_for_every_prefix():
    builder = TreeBuilder()
    assert builder.root() == BIG_ROOTS[0]
    for n, h in enumerate(BIG, 1):
        builder.append(h)
        assert builder.size == n
        assert builder.root() == root(BIG[:n]) == BIG_ROOTS[n]
        # O(log n) memory: one stored hash per perfect subtree, i.e. per set bit.
        assert len(builder._stack) == n.bit_count()


def test_every_inclusion_proof_up_to_70_is_the_rfc_path_and_verifies():
    for size in range(1, 71):
        leaves = BIG[:size]
        for index in range(size):
            proof = inclusion_proof(leaves, index)
            assert proof == ref_path(index, leaves)
            verify_inclusion(leaves[index], index, size, proof, BIG_ROOTS[size])


def test_every_consistency_proof_up_to_40_is_the_rfc_proof_and_verifies():
    for new in range(1, 41):
        leaves = BIG[:new]
        for old in range(1, new + 1):
            proof = consistency_proof(leaves, old)
            assert proof == (ref_subproof(old, leaves, True) if old < new else [])
            verify_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[new], proof)


# --- tampering -----------------------------------------------------------------------


def test_a_proof_for_one_index_fails_for_every_other_index():
    for size in range(2, 25):
        for index in range(size):
            proof = inclusion_proof(BIG[:size], index)
            for other in range(-1, size + 1):
                if other != index:
                    assert fails_inclusion(BIG[index], other, size, proof, BIG_ROOTS[size])


def test_a_wrong_size_fails_unless_it_gives_the_leaf_the_same_path():
    """RFC 9162's verifier takes the size on trust: the root alone does not fix it.

    A size whose tree gives leaf `index` exactly the same sibling sides (e.g.
    leaf 0 of 5 and of 6) recomputes the same root, so it verifies. Nothing
    else does. This is why casedraw only checks proofs against the size of a
    signed checkpoint, which binds size and root together.
    """
    equivalent = 0
    for size in range(1, 25):
        for index in range(size):
            proof = inclusion_proof(BIG[:size], index)
            for other in range(0, 2 * size + 3):
                if other == size:
                    continue
                same_path = index < other and path_sides(index, other) == path_sides(index, size)
                accepted = not fails_inclusion(BIG[index], index, other, proof, BIG_ROOTS[size])
                assert accepted == same_path, (index, size, other)
                equivalent += same_path
    assert equivalent  # the caveat is real, not hypothetical
    assert not fails_inclusion(BIG[0], 0, 6, inclusion_proof(BIG[:5], 0), BIG_ROOTS[5])


def test_a_wrong_root_or_leaf_fails():
    for size in range(1, 20):
        for index in range(size):
            proof = inclusion_proof(BIG[:size], index)
            for other_root in [*BIG_ROOTS[:size], *BIG_ROOTS[size + 1 : 40], SOME_HASH, EMPTY_ROOT]:
                assert fails_inclusion(BIG[index], index, size, proof, other_root)
            for other_leaf in [*BIG[:index], *BIG[index + 1 : size], SOME_HASH]:
                assert fails_inclusion(other_leaf, index, size, proof, BIG_ROOTS[size])


def test_every_single_bit_flip_fails_in_small_trees():
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(BIG[:size], index)
            for bit in range(256):
                assert fails_inclusion(flip(BIG[index], bit), index, size, proof, BIG_ROOTS[size])
                assert fails_inclusion(BIG[index], index, size, proof, flip(BIG_ROOTS[size], bit))
                for i in range(len(proof)):
                    bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
                    assert fails_inclusion(BIG[index], index, size, bad, BIG_ROOTS[size])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_in_an_inclusion_proof_fails(data):
    size = data.draw(st.integers(2, 70), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(BIG[:size], index)
    which = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 255), label="bit")
    bad = [*proof[:which], flip(proof[which], bit), *proof[which + 1 :]]
    assert fails_inclusion(BIG[index], index, size, bad, BIG_ROOTS[size])


def test_consistency_sizes_are_checked_up_to_equivalent_shapes():
    """As for inclusion: other sizes verify only where the proof means exactly the same hashing."""
    equivalent = 0
    for new in range(2, 13):
        for old in range(1, new):
            proof = consistency_proof(BIG[:new], old)
            shape = consistency_shape(old, new)
            for other_new in range(0, 2 * new + 1):
                for other_old in range(0, other_new + 1):
                    if (other_old, other_new) == (old, new):
                        continue
                    same = consistency_shape(other_old, other_new) == shape
                    accepted = not fails_consistency(other_old, other_new, BIG_ROOTS[old], BIG_ROOTS[new], proof)
                    assert accepted == same, (old, new, other_old, other_new)
                    equivalent += same
            assert fails_consistency(new, old, BIG_ROOTS[old], BIG_ROOTS[new], proof)  # backwards
    assert equivalent


def test_consistency_fails_with_any_other_roots():
    for new in range(2, 17):
        for old in range(1, new):
            proof = consistency_proof(BIG[:new], old)
            for other in range(1, 20):
                if other != old:
                    assert fails_consistency(old, new, BIG_ROOTS[other], BIG_ROOTS[new], proof)
                if other != new:
                    assert fails_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[other], proof)
            for bad in (SOME_HASH, EMPTY_ROOT):
                assert fails_consistency(old, new, bad, BIG_ROOTS[new], proof)
                assert fails_consistency(old, new, BIG_ROOTS[old], bad, proof)
            # A proof between two other trees of the same sizes proves nothing here.
            other_leaves = hashes_of(new, b"other")
            assert fails_consistency(old, new, BIG_ROOTS[old], ref_mth(other_leaves), proof)
            assert fails_consistency(old, new, ref_mth(other_leaves[:old]), BIG_ROOTS[new], proof)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_flipped_bit_anywhere_in_a_consistency_proof_fails(data):
    new = data.draw(st.integers(2, 40), label="new")
    old = data.draw(st.integers(1, new - 1), label="old")
    proof = consistency_proof(BIG[:new], old)
    which = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 255), label="bit")
    bad = [*proof[:which], flip(proof[which], bit), *proof[which + 1 :]]
    assert fails_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[new], bad)
    assert fails_consistency(old, new, flip(BIG_ROOTS[old], bit), BIG_ROOTS[new], proof)
    assert fails_consistency(old, new, BIG_ROOTS[old], flip(BIG_ROOTS[new], bit), proof)
    assert fails_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[new], proof[:which] + proof[which + 1 :])
    assert fails_consistency(old, new, BIG_ROOTS[old], BIG_ROOTS[new], [*proof[:which], SOME_HASH, *proof[which:]])


# --- edge cases and errors ----------------------------------------------------------


def test_trivial_consistency():
    r3 = BIG_ROOTS[3]
    assert consistency_proof(BIG[:3], 3) == []
    assert consistency_proof(BIG[:3], 0) == []
    verify_consistency(3, 3, r3, r3, [])
    verify_consistency(0, 3, EMPTY_ROOT, r3, [])  # the empty log is a prefix of every log
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert fails_consistency(3, 3, r3, BIG_ROOTS[2], [])
    assert fails_consistency(3, 3, r3, r3, [r3])
    assert fails_consistency(0, 3, BIG_ROOTS[1], r3, [])
    assert fails_consistency(0, 3, EMPTY_ROOT, r3, [r3])
    assert fails_consistency(0, 0, EMPTY_ROOT, SOME_HASH, [])
    assert fails_consistency(1, 2, BIG_ROOTS[1], BIG_ROOTS[2], [])
    assert fails_consistency(-1, 2, BIG_ROOTS[1], BIG_ROOTS[2], [BIG[1]])
    verify_consistency(1, 2, BIG_ROOTS[1], BIG_ROOTS[2], [BIG[1]])


def test_bad_requests_and_malformed_hashes_raise_proof_error():
    with pytest.raises(ProofError, match="outside a tree of size 0"):
        inclusion_proof([], 0)
    with pytest.raises(ProofError, match="leaf index 3 is outside a tree of size 3"):
        inclusion_proof(BIG[:3], 3)
    with pytest.raises(ProofError, match=r"old size 4 is outside 0\.\.3"):
        consistency_proof(BIG[:3], 4)
    with pytest.raises(ProofError, match="outside a tree of size 0"):
        verify_inclusion(BIG[0], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
        verify_inclusion(b"data", 0, 1, [], BIG[0])
    with pytest.raises(ProofError, match="root must be 32 bytes"):
        verify_inclusion(BIG[0], 0, 1, [], b"")
    with pytest.raises(ProofError, match="inclusion proof element 1 must be 32 bytes"):
        verify_inclusion(BIG[0], 0, 4, [BIG[1], BIG[2][:31], BIG[3]], BIG_ROOTS[4])
    with pytest.raises(ProofError, match="longer than the tree is high"):
        verify_inclusion(BIG[0], 0, 2, [BIG[1], BIG[2]], BIG_ROOTS[2])
    with pytest.raises(ProofError, match="shorter than the tree is high"):
        verify_inclusion(BIG[0], 0, 4, [BIG[1]], BIG_ROOTS[4])
    with pytest.raises(ProofError, match="consistency proof element 0 must be 32 bytes"):
        verify_consistency(1, 2, BIG_ROOTS[1], BIG_ROOTS[2], [b"x"])
    with pytest.raises(ProofError, match="go backwards"):
        verify_consistency(3, 2, BIG_ROOTS[3], BIG_ROOTS[2], [BIG[2]])
    with pytest.raises(ProofError, match="does not lead to the old root"):
        verify_consistency(3, 4, BIG_ROOTS[2], BIG_ROOTS[4], consistency_proof(BIG[:4], 3))
    with pytest.raises(ProofError, match="does not lead to the new root"):
        verify_consistency(3, 4, BIG_ROOTS[3], BIG_ROOTS[5], consistency_proof(BIG[:4], 3))
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
        TreeBuilder().append(b"short")
    with pytest.raises(ValueError, match="leaf hash 1 must be 32 bytes"):
        root([BIG[0], b"short"])


# --- the root commits to the exact sequence ------------------------------------------

leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(leaf_lists)
def test_root_matches_reference_and_builder(data):
    hashes = [leaf_hash(d) for d in data]
    builder = TreeBuilder()
    for n, h in enumerate(hashes, 1):
        builder.append(h)
        assert builder.root() == root(hashes[:n])
    assert root(hashes) == ref_mth([ref_leaf(d) for d in data])


@settings(max_examples=200, deadline=None)
@given(leaf_lists, st.data())
def test_root_changes_when_the_leaves_do(data, draw):
    hashes = [leaf_hash(d) for d in data]
    original = root(hashes)
    i = draw.draw(st.integers(0, len(data) - 1), label="i")

    changed = draw.draw(st.binary(max_size=8).filter(lambda b: b != data[i]), label="changed")
    assert root([*hashes[:i], leaf_hash(changed), *hashes[i + 1 :]]) != original

    assert root(hashes[:i] + hashes[i + 1 :]) != original  # dropped
    assert root([*hashes[: i + 1], hashes[i], *hashes[i + 1 :]]) != original  # duplicated
    assert root([*hashes, hashes[i]]) != original  # replayed at the end

    j = draw.draw(st.integers(0, len(data) - 1), label="j")
    if data[i] != data[j]:
        swapped = list(hashes)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert root(swapped) != original


# --- big logs ------------------------------------------------------------------------


class LazyLeaves(Sequence[bytes]):
    """A log too big to hold: leaf hashes made on demand; slicing is refused."""

    def __init__(self, size: int) -> None:
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index):  # type: ignore[override]
        if not isinstance(index, int):
            raise TypeError("no slices: a proof must not copy the log")
        if not 0 <= index < self._size:
            raise IndexError(index)
        return leaf_hash(b"event %d" % index)


def test_proofs_over_a_lazy_log_agree_with_the_streaming_root():
    size = 5000
    leaves = LazyLeaves(size)
    builder = TreeBuilder()
    roots = {}
    for i in range(size):
        builder.append(leaves[i])
        if i + 1 in (1, 1000, 2048, 3333, size):
            roots[i + 1] = builder.root()
    assert root(leaves) == roots[size]
    for index in (0, 1, 2047, 2048, 4095, 4999):
        verify_inclusion(leaves[index], index, size, inclusion_proof(leaves, index), roots[size])
    for old in (1, 1000, 2048, 3333, size):
        verify_consistency(old, size, roots[old], roots[size], consistency_proof(leaves, old))
