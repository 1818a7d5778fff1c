"""Who acted, as the public log names them: claimants by a keyed pseudonym (docs/ALGORITHM.md, section 5.1).

A claimant's account is its IIN or BIN, and an individual's IIN is personal data, which the public log
never holds. So the body names a claimant by `"c-" + hex(HMAC-SHA256(K_actor, utf8(id)))[:32]`: the same
claimant always gets the same pseudonym (anyone can count its events), and without K_actor nobody can
recompute it, not even by trying every IIN. Every other role acts under an account (an official's
login, a bailiff's public licence, "system") and is named as it is.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from casedraw.ledger.events import Actor, Event, Registered

PSEUDONYMOUS_ROLE = "claimant"
PSEUDONYM_PREFIX = "c-"
ACTOR_KEY_LABEL = b"casedraw/actor-pseudonym/v1"


def actor_key(affinity_key: bytes) -> bytes:
    """K_actor, derived from the operator's affinity key (section 6.3) so no database needs a new secret.

    The label separates the two uses of one secret: K_actor is an HMAC output under the affinity key,
    so holding it (an auditor asked to check pseudonyms, say) reveals nothing about the affinity key,
    and no pseudonym can ever equal an affinity value computed for some other input."""
    return hmac.digest(affinity_key, ACTOR_KEY_LABEL, "sha256")


def claimant_pseudonym(key: bytes, claimant_id: str) -> str:
    """The public ACTOR_ID of a claimant: 'c-' and 32 lowercase hex digits (128 bits) of its keyed hash."""
    return PSEUDONYM_PREFIX + hmac.digest(key, claimant_id.encode("utf-8"), "sha256").hex()[:32]


def public_actor(key: bytes, actor: Actor) -> Actor:
    """The actor as an event body names it: a claimant by pseudonym, anyone else as they are."""
    return Actor(actor.role, claimant_pseudonym(key, actor.id)) if actor.role == PSEUDONYMOUS_ROLE else actor


def needs_pseudonyms(events: Sequence[Event | Registered]) -> bool:
    return any(e.actor.role == PSEUDONYMOUS_ROLE for e in events)


def published(key: bytes, events: Sequence[Event | Registered]) -> list[Event | Registered]:
    """The events as the log holds them, claimants by pseudonym. One HMAC per distinct actor: a bulk
    registration is thousands of events by one claimant."""
    named: dict[Actor, Actor] = {}
    out = []
    for e in events:
        if e.actor.role != PSEUDONYMOUS_ROLE:
            out.append(e)
            continue
        actor = named.get(e.actor)
        if actor is None:
            actor = named[e.actor] = public_actor(key, e.actor)
        out.append(e.by(actor))
    return out
