"""Events: every accepted fact, in the form it takes in the log.

An event has a public body (the canonical bytes that enter the log) and,
when it carries personal data, a private part kept only by the operator. The
body commits to the private part with SHA-256 over its canonical bytes, which
include a random salt, so the claimant holding the salt and the data can open
the commitment while the public cannot guess it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from casedraw.domain.model import Bailiff, Document
from casedraw.domain.routing import Channel
from casedraw.ledger import canonical


class EventKind(StrEnum):
    CONFIG_SET = "config.set"
    BAILIFF_REGISTERED = "bailiff.registered"
    BAILIFF_CHANGED = "bailiff.changed"
    DOCUMENT_REGISTERED = "document.registered"
    BEACON_ANCHOR = "beacon.anchor"
    ROUND_SEALED = "round.sealed"
    ROUND_RANDOMNESS = "round.randomness"
    ROUND_DRAWN = "round.drawn"
    # Procedures around the draw (docs/ALGORITHM.md, section 9).
    MEMBER_SET = "chamber.member"
    ABSENCE_RECORDED = "absence.recorded"
    ABSENCE_CHANGED = "absence.changed"
    ABSENCE_CANCELLED = "absence.cancelled"
    SELF_SUSPENSION = "bailiff.self_suspension"
    LICENCE_EVENT = "bailiff.licence"
    PORTFOLIO_RELEASED = "bailiff.released"
    APPLICATION_FILED = "application.filed"
    APPLICATION_DECIDED = "application.decided"
    DOCUMENT_FORWARDED = "document.forwarded"
    # The life of a document after its draw (docs/ALGORITHM.md, section 10).
    PROCEEDING_ACKNOWLEDGED = "proceeding.acknowledged"
    PROCEEDING_INITIATED = "proceeding.initiated"
    PROCEEDING_RECOVERED = "proceeding.recovered"
    PROCEEDING_SUSPENDED = "proceeding.suspended"
    PROCEEDING_RESUMED = "proceeding.resumed"
    PROCEEDING_CLOSED = "proceeding.closed"
    HISTORY_IMPORTED = "history.imported"


@dataclass(frozen=True, slots=True)
class Actor:
    role: str  # operator, ministry, claimant, bailiff, chamber_head, commission, system
    id: str


SYSTEM = Actor("system", "casedraw")


def format_time(moment: dt.datetime) -> str:
    """UTC with microseconds and a Z, the one form times take in the log."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def kz_day(at: str) -> dt.date:
    """The date in Kazakhstan (UTC+5) of a log time: the UTC date, or the next one from 19:00 UTC."""
    return _kz_day(at[:10], at[11:13] >= "19")


@lru_cache(maxsize=64)
def _kz_day(utc_date: str, after_19: bool) -> dt.date:  # a log holds few distinct days: parse each once
    return dt.date.fromisoformat(utc_date) + dt.timedelta(days=after_19)


def _commit(private: Mapping[str, Any], trusted: bool = False) -> tuple[str, bytes]:
    encoded = canonical.encode_trusted(private) if trusted else canonical.encode(private)
    return hashlib.sha256(encoded).hexdigest(), encoded


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    at: str
    actor: Actor
    data: Mapping[str, Any]
    private: Mapping[str, Any] | None = field(default=None)
    private_encoded: bytes | None = field(default=None, compare=False, repr=False)  # kept from the commitment
    trusted: bool = field(default=False, compare=False, repr=False)  # data and private part canonical by construction

    def body(self) -> bytes:
        """The public, canonical bytes of this event: what the log holds."""
        body = {"kind": str(self.kind), "at": self.at, "by": {"role": self.actor.role, "id": self.actor.id}, "data": self.data}
        return canonical.encode_trusted(body) if self.trusted else canonical.encode(body)

    def private_bytes(self) -> bytes | None:
        if self.private_encoded is not None:
            return self.private_encoded
        return None if self.private is None else canonical.encode(self.private)

    def by(self, actor: Actor) -> Event:
        """The same event, done by `actor` (as the log names whoever did it)."""
        return Event(self.kind, self.at, actor, self.data, self.private, self.private_encoded, self.trusted)

    @classmethod
    def from_stored(cls, body: bytes, private: bytes | None) -> Event:
        public = canonical.decode(body)
        assert isinstance(public, dict)
        secret = None if private is None else canonical.decode(private)
        return cls(EventKind(public["kind"]), public["at"], Actor(**public["by"]), public["data"], secret)  # type: ignore[arg-type]


def _with_private(
    kind: EventKind, at: str, actor: Actor, data: dict[str, Any], fields: dict[str, Any], salt: bytes, trusted: bool = False,
) -> Event:
    private = {"salt": salt.hex(), "fields": fields}
    commit, encoded = _commit(private, trusted)
    data["commit"] = commit  # every caller builds `data` afresh for this event
    return Event(kind, at, actor, data, private, encoded, trusted)


def config_set(at: str, actor: Actor, name: str, version: int, effective: dt.date, value: Mapping[str, Any]) -> Event:
    return Event(EventKind.CONFIG_SET, at, actor, {"name": name, "version": version, "effective": effective.isoformat(), "value": value})


def _bailiff_public(b: Bailiff) -> dict[str, Any]:
    return {
        "region": b.region,
        "district": b.district,
        "status": str(b.status),
        "chamber_head": b.chamber_head,
        "share_milli": b.share_milli,
        "specialisations": list(b.specialisations),
    }


def _bailiff_private(b: Bailiff) -> dict[str, Any]:
    return {"full_name": b.full_name, "iin": b.iin, "conflicts": list(b.conflicts)}


def bailiff_registered(at: str, actor: Actor, bailiff: Bailiff, salt: bytes) -> Event:
    return _with_private(
        EventKind.BAILIFF_REGISTERED, at, actor,
        {"licence": bailiff.licence, **_bailiff_public(bailiff)}, _bailiff_private(bailiff), salt,
    )


def bailiff_changed(at: str, actor: Actor, before: Bailiff, after: Bailiff, salt: bytes) -> Event | None:
    """The event recording what changed between two registry rows, or None if nothing did."""
    old_public, new_public = _bailiff_public(before), _bailiff_public(after)
    changed = {k: v for k, v in new_public.items() if old_public[k] != v}
    old_private, new_private = _bailiff_private(before), _bailiff_private(after)
    changed_private = {k: v for k, v in new_private.items() if old_private[k] != v}
    if not changed and not changed_private:
        return None
    data = {"licence": after.licence, "changes": changed}
    if not changed_private:
        return Event(EventKind.BAILIFF_CHANGED, at, actor, data)
    return _with_private(EventKind.BAILIFF_CHANGED, at, actor, data, changed_private, salt)


@dataclass(frozen=True, slots=True)
class Weighing:
    """What the draw needs to know about a document's value, fixed at registration."""

    band: int
    weight: int
    affinity: str  # keyed hash of the debtor, 32 hex digits


def registration_parts(doc: Document, channel: Channel, weighing: Weighing) -> tuple[dict[str, Any], dict[str, Any]]:
    """The public data of a document.registered event but its document number and commitment, and the
    private fields it commits to: everything about a registration that its place in the log leaves alone."""
    public = {
        "band": weighing.band,
        "weight": weighing.weight,
        "affinity": weighing.affinity,
        "region": doc.region,
        "category": str(doc.category),
        "doc_kind": str(doc.kind),
        "basis": str(doc.basis),
        "claimant_kind": str(doc.claimant_kind),
        "channel": str(channel),
    }
    private = {
        "claimant": {"idn": doc.claimant.idn, "name": doc.claimant.name},
        "debtor": {"idn": doc.debtor.idn, "name": doc.debtor.name},
        "issuing_body": doc.issuing_body,
        "number": doc.number,
        "date": doc.date.isoformat(),
        "amount_tiyn": doc.amount_tiyn,
        "external_ref": doc.external_ref,
    }
    return public, private


def document_registered(at: str, actor: Actor, doc_id: int, doc: Document, channel: Channel, weighing: Weighing, salt: bytes) -> Event:
    public, private = registration_parts(doc, channel, weighing)
    # Built from a parsed Document (strings, dates, amounts below 10**15 tiyn) and the draw
    # configuration's bands and weights, checked when configured: canonical by construction.
    return _with_private(EventKind.DOCUMENT_REGISTERED, at, actor, {"doc": doc_id, **public}, private, salt, trusted=True)


def encode_fields(fields: Mapping[str, Any]) -> bytes:
    """Canonical bytes of registration_parts' private fields, made before the salt is known."""
    return canonical.encode_trusted(fields)


class Registered(NamedTuple):
    """A document.registered event as intake makes thousands of them: what Event offers for appending
    (not for projecting: its private part is only bytes), at a third of the cost of building one."""

    at: str
    actor: Actor
    data: dict[str, Any]  # canonical by construction, as document_registered's
    private: bytes  # the private part's canonical bytes
    kind = EventKind.DOCUMENT_REGISTERED

    def body(self) -> bytes:
        """Event.body's bytes: the members in their canonical order (at, by, data, kind), each encoded."""
        by = canonical.encode_trusted({"id": self.actor.id, "role": self.actor.role})
        return (b'{"at":' + canonical.encode_trusted(self.at) + b',"by":' + by + b',"data":' + canonical.encode_trusted(self.data)
                + b',"kind":"document.registered"}')

    def private_bytes(self) -> bytes:
        return self.private

    def by(self, actor: Actor) -> Registered:
        return Registered(self.at, actor, self.data, self.private)


def document_registered_encoded(at: str, actor: Actor, doc_id: int, public: Mapping[str, Any], fields: bytes, salt: bytes) -> Registered:
    """document_registered from registration_parts made earlier, the private fields already encoded
    (by encode_fields): the same bytes, for a fraction of the work done while the log is locked."""
    # {"fields":...,"salt":...} with its keys in canonical order, as _with_private encodes it.
    private = b'{"fields":' + fields + b',"salt":"' + salt.hex().encode("ascii") + b'"}'
    return Registered(at, actor, {"doc": doc_id, **public, "commit": hashlib.sha256(private).hexdigest()}, private)


def beacon_anchor(at: str, actor: Actor, chain: int, length: int, anchor: bytes) -> Event:
    return Event(EventKind.BEACON_ANCHOR, at, actor, {"source": "hashchain", "chain": chain, "length": length, "anchor": anchor.hex()})


def round_sealed(at: str, actor: Actor, data: Mapping[str, Any]) -> Event:
    return Event(EventKind.ROUND_SEALED, at, actor, data)


def round_randomness(at: str, actor: Actor, round_no: int, source: str, index: int, value: bytes, proof: Mapping[str, str]) -> Event:
    return Event(EventKind.ROUND_RANDOMNESS, at, actor, {
        "round": round_no, "source": source, "index": index, "value": value.hex(), "proof": dict(proof),
    })


def round_drawn(at: str, actor: Actor, data: Mapping[str, Any]) -> Event:
    return Event(EventKind.ROUND_DRAWN, at, actor, data)


# --- procedures ---------------------------------------------------------------
# Public fields are what the replay needs to check the procedure and the draws
# that follow; free-text reasons, grounds and the kind of an absence (illness is
# health data) stay in the committed private part.


def chamber_member(at: str, actor: Actor, region: str, member: str, role: str, active: bool) -> Event:
    return Event(EventKind.MEMBER_SET, at, actor, {"region": region, "member": member, "role": role, "active": active})


def absence_recorded(at: str, actor: Actor, absence: int, licence: str, start: dt.date, end: dt.date, kind: str, note: str, salt: bytes) -> Event:
    data = {"absence": absence, "licence": licence, "from": start.isoformat(), "to": end.isoformat()}
    return _with_private(EventKind.ABSENCE_RECORDED, at, actor, data, {"kind": kind, "note": note}, salt)


def absence_changed(at: str, actor: Actor, absence: int, start: dt.date, end: dt.date, note: str, salt: bytes) -> Event:
    data = {"absence": absence, "from": start.isoformat(), "to": end.isoformat()}
    return _with_private(EventKind.ABSENCE_CHANGED, at, actor, data, {"note": note}, salt)


def absence_cancelled(at: str, actor: Actor, absence: int, note: str, salt: bytes) -> Event:
    return _with_private(EventKind.ABSENCE_CANCELLED, at, actor, {"absence": absence}, {"note": note}, salt)


def self_suspension(at: str, actor: Actor, licence: str, suspended: bool, reason: str, salt: bytes) -> Event:
    return _with_private(EventKind.SELF_SUSPENSION, at, actor, {"licence": licence, "suspended": suspended}, {"reason": reason}, salt)


def licence_event(at: str, actor: Actor, licence: str, action: str, reference: str, changes: Mapping[str, Any], note: str, salt: bytes) -> Event:
    """`changes`: the roster fields the action sets (status; region and district for a transfer)."""
    data = {"licence": licence, "action": action, "reference": reference, "changes": dict(changes)}
    return _with_private(EventKind.LICENCE_EVENT, at, actor, data, {"note": note}, salt)


def portfolio_released(at: str, actor: Actor, licence: str, cause: str, documents: list[int], state: Mapping[str, int]) -> Event:
    """A bailiff's open documents return to the draw; `state` is the bailiff's draw state after it."""
    return Event(EventKind.PORTFOLIO_RELEASED, at, actor, {"licence": licence, "cause": cause, "documents": documents, "state": dict(state)})


def application_filed(
    at: str, actor: Actor, application: int, doc: int, licence: str, region: str, grounds: str, deadline: dt.date,
    overdue: list[str], private: Mapping[str, Any], salt: bytes,
) -> Event:
    """`overdue`: the deadlines the bailiff had missed on filing, which the application cites;
    `private`: the claimant's identifier, the grounds in words and the references of attached decisions."""
    data = {
        "application": application, "doc": doc, "licence": licence, "region": region, "grounds": grounds,
        "deadline": deadline.isoformat(), "overdue": overdue,
    }
    return _with_private(EventKind.APPLICATION_FILED, at, actor, data, dict(private), salt)


def application_decided(
    at: str, actor: Actor, application: int, doc: int, decision: str, reference: str, released: Mapping[str, Any] | None,
    reasons: str, salt: bytes,
) -> Event:
    """`released`: for a granted application, the document's release (licence, state) or None if it had already left."""
    data = {"application": application, "doc": doc, "decision": decision, "reference": reference, "released": None if released is None else dict(released)}
    return _with_private(EventKind.APPLICATION_DECIDED, at, actor, data, {"reasons": reasons}, salt)


def document_forwarded(
    at: str, actor: Actor, doc: int, from_region: str, to_region: str, basis: str, affinity: str, released: Mapping[str, Any] | None, note: str, salt: bytes,
) -> Event:
    data = {"doc": doc, "from": from_region, "to": to_region, "basis": basis, "affinity": affinity, "released": None if released is None else dict(released)}
    return _with_private(EventKind.DOCUMENT_FORWARDED, at, actor, data, {"note": note}, salt)


def history_imported(at: str, actor: Actor, batch: int, first: int, records: list[list[Any]], private: list[list[Any]], salt: bytes) -> Event:
    """Records of proceedings from before automatic distribution (section 10.4): `records` public,
    `private` the source's record numbers and the amounts, record by record."""
    data = {"batch": batch, "first": first, "records": records}
    return _with_private(EventKind.HISTORY_IMPORTED, at, actor, data, {"records": private}, salt)


# --- proceedings after the draw ------------------------------------------------------
# The acting bailiff is `by`; `licence` repeats it so the body says whose proceeding it is.

PROCEEDING_KINDS = {
    "acknowledged": EventKind.PROCEEDING_ACKNOWLEDGED,
    "initiated": EventKind.PROCEEDING_INITIATED,
    "recovered": EventKind.PROCEEDING_RECOVERED,
    "suspended": EventKind.PROCEEDING_SUSPENDED,
    "resumed": EventKind.PROCEEDING_RESUMED,
    "closed": EventKind.PROCEEDING_CLOSED,
}


def proceeding_step(
    at: str, actor: Actor, step: str, doc: int, public: Mapping[str, Any], private: Mapping[str, Any] | None, salt: bytes,
) -> Event:
    """One step of a proceeding: `public` holds the step's own public fields (section 10), `private`
    what only the parties see (the resolution's number, amounts in tiyn, reasons in words)."""
    data = {"doc": doc, "licence": actor.id, **public}
    kind = PROCEEDING_KINDS[step]
    if private is None:
        return Event(kind, at, actor, data)
    return _with_private(kind, at, actor, data, dict(private), salt)
