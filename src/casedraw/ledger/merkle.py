"""Merkle hash trees over the event log (RFC 9162, section 2.1, with SHA-256).

Each event's public body is a leaf. The tree head (size, root) commits to the
whole log; an inclusion proof shows that one event is in it, and a consistency
proof shows that a later head only appends to an earlier one. Hashing is the
RFC 6962 / RFC 9162 scheme, so any Certificate Transparency or C2SP tlog tool
can check our proofs:

    leaf hash = SHA-256(0x00 || data)
    node hash = SHA-256(0x01 || left || right)
    MTH({})   = SHA-256("")

Proof generators take a ``Sequence`` of leaf hashes and only use ``len()`` and
integer indexing, so the caller may pass a lazily indexable view of a big log
instead of a list. They recompute subtree hashes on the fly: O(n) hashing per
proof and O(log n) memory beyond the leaves themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32

# The domain-separation prefixes keep a leaf from ever being read as a node
# (RFC 9162, 2.1.1), which is what blocks second-preimage tricks.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify, or was asked for with impossible parameters."""


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly less than n (n >= 2): where MTH splits."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes")


def _subtree(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) by the recursive definition; indexes instead of slicing a lazy sequence."""
    n = hi - lo
    if n == 1:
        value = leaves[lo]
        if len(value) != HASH_SIZE:
            raise ValueError(f"leaf hash {lo} must be {HASH_SIZE} bytes")
        return bytes(value)
    k = _split(n)
    return node_hash(_subtree(leaves, lo, lo + k), _subtree(leaves, lo + k, hi))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the given leaf hashes (RFC 9162, 2.1.1); the empty tree is SHA-256("")."""
    n = len(leaf_hashes)
    return EMPTY_ROOT if n == 0 else _subtree(leaf_hashes, 0, n)


# --- inclusion --------------------------------------------------------------


def _path(leaves: Sequence[bytes], index: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]) of RFC 9162, 2.1.3.1, with m relative to lo; siblings bottom-up."""
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if index < k:
        return [*_path(leaves, index, lo, lo + k), _subtree(leaves, lo + k, hi)]
    return [*_path(leaves, index - k, lo + k, hi), _subtree(leaves, lo, lo + k)]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path for leaf `index` in the tree of all given leaves."""
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    return _path(leaf_hashes, index, 0, size)


def _root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Steps 2-5 of RFC 9162, 2.1.3.2: fold the path into the root it implies."""
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # A rightmost node with no right sibling is promoted unchanged, so
            # skip the levels where it has none.
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is high")
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree (size, root); raise ProofError if not.

    Take `size` from the same signed checkpoint as `root`: the root alone does
    not fix the size, and another size that gives this leaf the same path
    (leaf 0 of 5 leaves and of 6, say) recomputes the same root.
    """
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    for i, p in enumerate(proof):
        _check_hash(p, f"inclusion proof element {i}")
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if _root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of the tree of size {size}")


# --- consistency ------------------------------------------------------------


def _subproof(leaves: Sequence[bytes], m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) of RFC 9162, 2.1.4.1; `complete` is b."""
    n = hi - lo
    if m == n:
        # The old tree is this whole subtree: the verifier knows its hash
        # already (b true) unless it is only a part of the old tree.
        return [] if complete else [_subtree(leaves, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(leaves, m, lo, lo + k, complete), _subtree(leaves, lo + k, hi)]
    return [*_subproof(leaves, m - k, lo + k, hi, False), _subtree(leaves, lo, lo + k)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]): shows the tree of the first old_size leaves is a prefix of this one.

    old_size == size (and old_size == 0) give the empty proof: there is nothing to prove.
    """
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise ProofError(f"old size {old_size} is outside 0..{size}")
    if old_size in (0, size):
        return []
    return _subproof(leaf_hashes, old_size, 0, size, True)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that tree (new_size, new_root) extends tree (old_size, old_root); raise ProofError if not.

    RFC 9162, 2.1.4.2 covers 0 < old_size < new_size. Equal sizes need equal
    roots and an empty proof; the empty tree (whose root is SHA-256("")) is a
    prefix of every tree, also with an empty proof.
    """
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    for i, c in enumerate(proof):
        _check_hash(c, f"consistency proof element {i}")
    if not 0 <= old_size <= new_size:
        raise ProofError(f"sizes {old_size} -> {new_size} go backwards or are negative")
    if old_size == 0 or old_size == new_size:
        if proof:
            raise ProofError(f"a consistency proof from {old_size} to {new_size} must be empty")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofError("the root of the empty tree is SHA-256 of nothing")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"two trees of size {old_size} have different roots")
        return
    if not proof:
        raise ProofError("consistency proof is empty")  # step 1

    path = list(proof)
    # Step 2: a power-of-two old tree is a complete subtree of the new one,
    # so the proof leaves out its hash and we start from the old root.
    if _is_power_of_two(old_size):
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:  # step 4: climb to the first level where fn is a left child
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long for these sizes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short for these sizes")
    if fr != old_root:
        raise ProofError(f"consistency proof does not lead to the old root (size {old_size})")
    if sr != new_root:
        raise ProofError(f"consistency proof does not lead to the new root (size {new_size})")


# --- streaming --------------------------------------------------------------


class TreeBuilder:
    """Appends leaf hashes one by one and gives the root at any size in O(log n) memory.

    It keeps the "compact range" of the tree: the roots of the perfect
    subtrees the leaves decompose into, largest (leftmost) first. Their sizes
    are the set bits of `size`, so there are at most log2(size) + 1 of them.
    """

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        _check_hash(leaf_hash, "leaf hash")
        self._stack.append(bytes(leaf_hash))
        self._size += 1
        # Each trailing zero bit of the new size is a pair of equal perfect
        # subtrees on top of the stack that now merge into one.
        n = self._size
        while not n & 1:
            right = self._stack.pop()
            left = self._stack.pop()
            self._stack.append(node_hash(left, right))
            n >>= 1

    def root(self) -> bytes:
        """MTH of everything appended so far: the subtree roots folded right to left."""
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            r = node_hash(left, r)
        return r
