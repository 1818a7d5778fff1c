"""Claimants appear in the public log only by a keyed pseudonym (docs/ALGORITHM.md, 5.1): no IIN or BIN in
any body, one pseudonym per claimant, another under another operator's key; the log still verifies and
rebuilds, and the private parts still name the real claimant."""

from __future__ import annotations

import json

from conftest import acting, fixed_context
from factories import BANK_BIN, bailiff_row, document_row, iin

from casedraw.ledger.checkpoint import NoteSigner, NoteVerifier
from casedraw.ledger.events import Actor, EventKind
from casedraw.ledger.pseudonyms import actor_key, claimant_pseudonym, public_actor
from casedraw.ledger.publish import verify_export, write_export
from casedraw.services.intake import affinity_hash, prepare, register_prepared, submit_documents
from casedraw.services.procedures import file_application
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import LOG_ORIGIN, initialise
from casedraw.store.repository import AFFINITY_KEY, Store

PERSON = iin(900)  # an individual claimant: its IIN is personal data
SIGNER = NoteSigner.from_seed("casedraw-test-log", bytes(range(32)))


def numbered(rows):
    return list(enumerate(rows, start=2))


def person_row(n: int) -> dict[str, object]:
    return document_row(n, claimant_kind="individual", claimant_idn=PERSON, claimant_name="Серикбаев Данияр")


def pseudonym_in(store: Store, idn: str) -> str:
    with store.read() as conn:
        return claimant_pseudonym(actor_key(Store.secret(conn, AFFINITY_KEY)), idn)


def public_bodies(store: Store) -> list[bytes]:
    return list(store.bodies())  # the stored bytes, as published


def claimant_events(store: Store) -> list[tuple[str, str]]:
    return [(body["kind"], body["by"]["id"]) for body in map(json.loads, public_bodies(store)) if body["by"]["role"] == "claimant"]


def test_no_claimant_identifier_in_any_public_body_and_one_pseudonym_each(store, ctx, tmp_path):
    rows = [bailiff_row(i, chamber_head="yes" if i == 0 else "no") for i in range(4)]
    import_bailiffs(store, numbered(rows), acting(ctx, "chamber", "registry"))
    # Bulk: an individual's file of three documents.
    assert not submit_documents(store, numbered([person_row(n) for n in range(3)]), acting(ctx, "claimant", PERSON)).rejected
    # As the API's writer does: rows of two claimants prepared, then registered in one transaction by the intake process.
    day = ctx.stamp()[1]
    items = prepare(store, numbered([document_row(10), person_row(11)]), day, [("claimant", BANK_BIN), ("claimant", PERSON)])
    assert [o.status for o in register_prepared(store, day, [items], acting(ctx, "system", "intake"))] == ["accepted"] * 2
    run_round(store, ctx)
    assert file_application(store, acting(ctx, "claimant", PERSON), 1, PERSON, "inaction", "No action for three months", []).application == 1

    bodies = public_bodies(store)
    for idn in (PERSON, BANK_BIN):
        assert not [b for b in bodies if idn.encode() in b], idn
    person, bank = pseudonym_in(store, PERSON), pseudonym_in(store, BANK_BIN)
    assert person != bank and person.startswith("c-") and len(person) == 34
    registered, applied = str(EventKind.DOCUMENT_REGISTERED), str(EventKind.APPLICATION_FILED)
    assert claimant_events(store) == [(registered, person)] * 3 + [(registered, bank), (registered, person), (applied, person)]

    # The operator still knows who: the private parts name the real claimant.
    privates = {e.kind: e.private for _, e in store.events() if e.actor.role == "claimant"}
    assert privates[EventKind.APPLICATION_FILED]["fields"]["claimant"] == PERSON  # type: ignore[index]
    # Verification needs no key, and a rebuild from the log gives the tables live appends made.
    write_export(iter(bodies), tmp_path / "export", SIGNER, LOG_ORIGIN)
    assert verify_export(tmp_path / "export", NoteVerifier.from_vkey(SIGNER.verifier_key()), LOG_ORIGIN).size == len(bodies)
    live = store.projection_snapshot()
    store.rebuild()
    assert store.projection_snapshot() == live


def test_another_operator_key_gives_another_pseudonym(store, ctx, tmp_path):
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        initialise(other, fixed_context())
        for s in (store, other):
            submit_documents(s, numbered([person_row(0)]), acting(ctx, "claimant", PERSON))
        [(_, here)], [(_, there)] = claimant_events(store), claimant_events(other)
        assert here == pseudonym_in(store, PERSON) and there == pseudonym_in(other, PERSON) and here != there
    finally:
        other.close()


def test_the_construction():
    key = actor_key(bytes(range(32)))
    assert key != bytes(range(32)) and len(key) == 32
    assert claimant_pseudonym(key, PERSON) == claimant_pseudonym(key, PERSON) != claimant_pseudonym(key, BANK_BIN)
    assert claimant_pseudonym(key, PERSON) != claimant_pseudonym(actor_key(bytes(32)), PERSON)
    assert claimant_pseudonym(key, PERSON)[2:] not in affinity_hash(bytes(range(32)), "KZ-75", PERSON)  # domain separated
    assert public_actor(key, Actor("bailiff", "PB-00001")) == Actor("bailiff", "PB-00001")  # officials keep their accounts
    assert public_actor(key, Actor("claimant", PERSON)) == Actor("claimant", claimant_pseudonym(key, PERSON))
