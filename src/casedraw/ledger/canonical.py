"""Canonical JSON: the byte encoding of every logged value.

It is RFC 8785 (JCS) restricted to what casedraw logs: objects with ASCII
keys (sorted), arrays, strings, booleans, null and integers of magnitude
below 2**53. No floats, so every language encodes the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

try:  # the published vectors replay with the standard library alone (tools/replay_vectors.py)
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

_MAX_INT = 2**53


def _valid(value: object) -> bool:
    """Whether a value can be encoded canonically (iterative: logged values can be large).

    Scalar members of objects, most of a logged value, are checked in place rather than stacked."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict or isinstance(item, Mapping):
            for key, member in item.items():  # type: ignore[union-attr]
                if not isinstance(key, str) or not key.isascii():
                    return False
                member_kind = type(member)
                if member_kind is int:
                    if not -_MAX_INT < member < _MAX_INT:
                        return False
                elif member_kind is not str and member_kind is not bool and member is not None:
                    stack.append(member)
        elif kind is str or kind is bool or item is None:
            continue
        elif kind is int:
            if not -_MAX_INT < item < _MAX_INT:  # type: ignore[operator]
                return False
        elif kind is list or kind is tuple:
            stack.extend(item)  # type: ignore[arg-type]
        elif isinstance(item, bool) or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if not -_MAX_INT < item < _MAX_INT:
                return False
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            return False
    return True


def _first_problem(value: object, path: str) -> str:
    """Where and why a value cannot be encoded (only called once it is known to be invalid)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                return f"{path}: object keys must be ASCII strings, got {key!r}"
            if not _valid(item):
                return _first_problem(item, f"{path}.{key}")
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if not _valid(item):
                return _first_problem(item, f"{path}[{index}]")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{path}: integer {value} is outside the canonical range (|x| < 2**53)"
    return f"{path}: {type(value).__name__} cannot be encoded canonically"


def encode(value: object) -> bytes:
    """The canonical bytes of a JSON value."""
    if not _valid(value):
        raise ValueError(_first_problem(value, "$"))
    return _dumps(value)


def encode_trusted(value: object) -> bytes:
    """encode() for a value its builder makes canonical: literal ASCII keys, no floats (typed records,
    validated on parsing). The walk, about four times the cost of encoding, is skipped; integers are
    still range-checked by orjson, and anything orjson refuses takes the checked path."""
    fast = _orjson_dumps(value)
    return fast if fast is not None else encode(value)


def _no_float(text: str) -> object:
    raise ValueError(f"{text} is not an integer: canonical JSON has no floats")


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -_MAX_INT < value < _MAX_INT:
        raise ValueError(f"integer {text} is outside the canonical range (|x| < 2**53)")
    return value


def decode(data: bytes) -> object:
    """Parse canonical bytes, refusing anything that does not re-encode identically.

    Floats, NaN and out-of-range integers are refused while parsing; an ASCII
    body cannot hold a non-ASCII key, so only other bodies need the full check.
    """
    value = _DECODER.decode(data.decode("utf-8"))
    if not data.isascii() and not _valid(value):
        raise ValueError(_first_problem(value, "$"))
    if _dumps(value) != data:
        raise ValueError("not in canonical form")
    return value


def decode_trusted(data: bytes) -> object:
    """Parse bytes whose canonical form another check establishes (verify's parallel bytes pass,
    which reports any float or non-canonical body at the same index): orjson, about twice as fast
    as the standard parser, since a million-document log is three million bodies."""
    return orjson.loads(data) if orjson is not None else _TRUSTING_DECODER.decode(data.decode("utf-8"))


_DECODER = json.JSONDecoder(parse_float=_no_float, parse_int=_bounded_int, parse_constant=_no_float)
_TRUSTING_DECODER = json.JSONDecoder(parse_float=_no_float, parse_constant=_no_float)
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


if orjson is not None:
    # orjson writes the standard encoder's bytes for every value the format admits, ten times faster.
    # It is told to refuse integers beyond 2**53 (encode_trusted relies on it) and the datetimes and
    # dataclasses it would write but the standard encoder refuses: what it refuses goes to the
    # standard encoder, so every error stays what it was.
    _ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _orjson_dumps(value: object) -> bytes | None:
    """orjson's bytes, or None where it is missing or refuses the value (lone surrogates, integers
    beyond 2**53, nesting deeper than 255, types the standard encoder refuses too)."""
    if orjson is None:
        return None
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return None


def _dumps(value: object) -> bytes:
    fast = _orjson_dumps(value)
    return fast if fast is not None else _ENCODER.encode(value).encode("utf-8")


def same(a: object, b: object) -> bool:
    """Whether two decoded or computed values have the same canonical bytes (no validity check: compare only)."""
    return _dumps(a) == _dumps(b)
