import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedraw.ledger import canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8), children, max_size=4),
    max_leaves=20,
)


def test_layout_is_sorted_compact_utf8():
    assert canonical.encode({"b": 1, "a": [True, None, "Алматы"], "A": "\n\"\\"}) == (
        '{"A":"\\n\\"\\\\","a":[true,null,"Алматы"],"b":1}'.encode()
    )


def test_control_characters_use_short_or_u_escapes():
    assert canonical.encode("\b\f\t\x01\x7f") == b'"\\b\\f\\t\\u0001\x7f"'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "$: float cannot be encoded canonically"),
        ({"x": [1, 2**53]}, "$.x[1]: integer 9007199254740992 is outside the canonical range"),
        ({"ключ": 1}, "$: object keys must be ASCII strings"),
        ({1: 1}, "$: object keys must be ASCII strings"),
        ({"a": {"b": b"x"}}, "$.a.b: bytes cannot be encoded canonically"),
    ],
)
def test_refuses_what_other_languages_could_encode_differently(value, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace("$", r"\$")):
        canonical.encode(value)


def test_decode_refuses_non_canonical_bytes():
    with pytest.raises(ValueError, match="not in canonical form"):
        canonical.decode(b'{"b":1, "a":2}')
    assert canonical.decode(b'{"a":2,"b":1}') == {"a": 2, "b": 1}


@given(json_values)
def test_round_trip_is_byte_stable(value):
    data = canonical.encode(value)
    assert canonical.decode(data) == value
    assert canonical.encode(canonical.decode(data)) == data


@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=6), st.integers(0, 9), max_size=6))
def test_key_order_of_the_input_does_not_matter(mapping):
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical.encode(mapping) == canonical.encode(reversed_mapping)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a":1.0}', "no floats"),
        (b'{"a":1e5}', "no floats"),
        (b'{"a":NaN}', "no floats"),
        (b'{"a":9007199254740992}', "outside the canonical range"),
        ('{"ключ":1}'.encode(), "object keys must be ASCII"),
        (b'{"b":1,"a":2}', "not in canonical form"),
    ],
)
def test_decode_refuses_what_encode_would_never_produce(data, reason):
    with pytest.raises(ValueError, match=reason):
        canonical.decode(data)
