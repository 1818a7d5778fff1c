import datetime as dt
import re
from enum import IntEnum, StrEnum

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


class _Kind(StrEnum):
    A = "a\u2028"


class _Level(IntEnum):
    HIGH = 3


# Every value the canonical format admits, with what the encoders treat specially: control
# characters, DEL, U+2028, non-ASCII text, empty and nested containers, tuples, str and int subclasses.
canonical_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.sampled_from([_Kind.A, _Level.HIGH])
    | st.text(st.characters(exclude_categories=("Cs",)) | st.sampled_from("\x00\x1f\x7f\u2028\u2029\"\\/")),
    lambda children: st.lists(children, max_size=4) | st.lists(children, max_size=4).map(tuple)
    | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8), children, max_size=4),
    max_leaves=30,
)


@given(canonical_values)
def test_orjson_writes_the_standard_encoders_bytes(value):
    expected = canonical._ENCODER.encode(value).encode("utf-8")
    assert canonical._orjson_dumps(value) == expected
    assert canonical.encode(value) == canonical.encode_trusted(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": [1, 2**53]}, "$.x[1]: integer 9007199254740992 is outside the canonical range"),
        ({1: 1}, "$: object keys must be ASCII strings"),
        ({"a": dt.date(2026, 1, 1)}, "$.a: date cannot be encoded canonically"),
    ],
)
def test_encode_trusted_refuses_what_orjson_refuses_with_the_same_message(value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        canonical.encode_trusted(value)


def test_lone_surrogates_fail_as_before():
    with pytest.raises(UnicodeEncodeError):
        canonical.encode("\ud800")


# --- a registration encoded in two steps is the event encoded in one --------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@st.composite
def _registrations(draw):  # type: ignore[no-untyped-def]
    from casedraw.domain.model import Basis, Category, ClaimantKind, Document, DocumentKind, Party, PartyType
    from casedraw.domain.routing import Channel
    from casedraw.ledger.events import Weighing

    def party() -> Party:
        return Party(draw(st.from_regex(r"\d{12}", fullmatch=True)), draw(st.sampled_from(PartyType)), draw(_TEXT))

    doc = Document(
        claimant=party(), claimant_kind=draw(st.sampled_from(ClaimantKind)), debtor=party(), kind=draw(st.sampled_from(DocumentKind)),
        issuing_body=draw(_TEXT), number=draw(_TEXT), date=draw(st.dates(dt.date(1991, 1, 1), dt.date(2030, 12, 31))),
        basis=draw(st.sampled_from(Basis)), region=draw(st.sampled_from(["KZ-75", "KZ-11", "KZ-79"])),
        category=draw(st.sampled_from(Category)), amount_tiyn=draw(st.integers(0, 10**15 - 1)), external_ref=draw(_TEXT),
    )
    weighing = Weighing(draw(st.integers(0, 9)), draw(st.integers(1, 1000)), draw(st.from_regex(r"[0-9a-f]{32}", fullmatch=True)))
    return doc, draw(st.sampled_from(Channel)), weighing, draw(st.integers(1, 2**53 - 1)), draw(st.binary(min_size=16, max_size=16))


@given(_registrations())
def test_a_registration_prepared_in_parts_has_the_bytes_of_the_whole_event(registration):
    from casedraw.ledger.events import Actor, document_registered, document_registered_encoded, encode_fields, registration_parts

    doc, channel, weighing, doc_id, salt = registration
    at, actor = "2026-11-27T10:00:00.000000Z", Actor("claimant", "940140000385")
    whole = document_registered(at, actor, doc_id, doc, channel, weighing, salt)
    public, fields = registration_parts(doc, channel, weighing)
    parts = document_registered_encoded(at, actor, doc_id, public, encode_fields(fields), salt)
    assert parts.body() == whole.body() == canonical.encode(canonical.decode(whole.body()))
    assert parts.private_bytes() == whole.private_bytes() == canonical.encode(whole.private)
    published = Actor("claimant", "c-" + "5" * 32)  # as Writer.append names a claimant
    assert parts.by(published).body() == whole.by(published).body() != whole.body()


@given(_registrations())
def test_registration_rows_prepared_ahead_are_the_rows_its_event_projects(registration):
    """Intake writes the rows it prepared as tuples; a rebuild projects them from the logged event."""
    from casedraw.ledger.events import Actor, document_registered, registration_parts
    from casedraw.store.projections import Registrations, project, registration_values

    doc, channel, weighing, doc_id, salt = registration
    at = "2026-11-27T10:00:00.000000Z"
    whole = document_registered(at, Actor("claimant", "940140000385"), doc_id, doc, channel, weighing, salt)
    public, fields = registration_parts(doc, channel, weighing)
    claimant, document = registration_values(public, fields, doc.identity())
    prepared = Registrations()
    prepared.add(claimant, document, doc_id, 7, at)
    written = [dict(zip(batch.shape[2], row, strict=True)) for batch in prepared.ops() for row in batch.rows]
    assert written == [op.row for op in project(7, whole)]
