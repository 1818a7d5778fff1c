"""Sixteen clients submitting at once over real HTTP, overlapping on purpose, while the operator draws
rounds: no document duplicated or lost, none assigned twice, and the log one order that verifies."""

from __future__ import annotations

import random
import socket
import threading
from collections import defaultdict

import httpx
import pytest
import uvicorn
from api_world import api_world
from factories import document_row
from sqlalchemy import case, func, select

from casedraw.api.app import create_app
from casedraw.ledger.checkpoint import NoteVerifier
from casedraw.ledger.publish import verify_export
from casedraw.services.publication import export_store
from casedraw.services.setup import LOG_ORIGIN, log_signer
from casedraw.store import schema

CLIENTS = 16
POOL = 480  # distinct documents; each client sends a random, overlapping share of them
SINGLES, BULKS, BULK_SIZE = 24, 2, 40


@pytest.fixture
def served(db_url):  # type: ignore[no-untyped-def]
    with api_world(db_url) as w:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        # As `casedraw serve` runs it: single submissions registered by a child process.
        server = uvicorn.Server(uvicorn.Config(create_app(w.store, intake_process=True), log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            threading.Event().wait(0.01)
        try:
            yield w, f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join()


def test_sixteen_clients_no_duplicate_no_loss_no_double_assignment(served, tmp_path):
    w, base = served
    answers: dict[int, set[int]] = defaultdict(set)  # document (by its number in the pool) -> ids the API gave it
    failures: list[str] = []
    lock = threading.Lock()
    clients_done = threading.Event()
    drawn_while_submitting = []

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=base, headers=w.headers("claimant"), timeout=60) as http:
            for _ in range(SINGLES):
                n = rng.randrange(POOL)
                answer = http.post("/api/v1/documents", json=document_row(2000 + n))
                record(n, answer.status_code in (200, 201), answer.json(), answer)
            for _ in range(BULKS):
                chosen = rng.sample(range(POOL), BULK_SIZE)
                answer = http.post("/api/v1/documents/bulk", json={"documents": [document_row(2000 + n) for n in chosen]})
                for n, result in zip(chosen, answer.json()["results"], strict=True):
                    record(n, answer.status_code == 200 and result["status"] != "rejected", result, answer)

    def record(n: int, ok: bool, result: dict, answer: httpx.Response) -> None:  # type: ignore[type-arg]
        with lock:
            if ok:
                answers[n].add(result["id"])
            else:
                failures.append(f"document {n}: {answer.status_code} {answer.text[:200]}")

    def operator() -> None:
        with httpx.Client(base_url=base, headers=w.headers("operator"), timeout=60) as http:
            while not clients_done.is_set():
                drawn = http.post("/api/v1/rounds")
                if drawn.status_code == 200:
                    drawn_while_submitting.append(drawn.json()["round"])
                elif drawn.status_code != 204:
                    with lock:
                        failures.append(f"round: {drawn.status_code} {drawn.text[:200]}")

    rounds = threading.Thread(target=operator)
    rounds.start()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    clients_done.set()
    rounds.join()
    assert failures == []
    assert len(drawn_while_submitting) >= 2  # rounds really ran between submissions
    assert httpx.post(f"{base}/api/v1/rounds", headers=w.headers("operator")).status_code in (200, 204)

    # Each document the API acknowledged has one id, and that id is that document.
    assert all(len(ids) == 1 for ids in answers.values())
    d, p, e = schema.documents, schema.proceedings, schema.events
    with w.store.read() as conn:
        numbers = dict(conn.execute(select(d.c.id, d.c.number)).all())
        for n, ids in answers.items():
            assert numbers[next(iter(ids))] == document_row(2000 + n)["doc_number"]
        # Nothing more, nothing lost: the setup's documents and one per distinct acknowledged document.
        assert len(numbers) == 17 + len(answers)
        # Every private-bailiff document drawn once and held by one bailiff: one proceeding each, open.
        waiting = conn.execute(select(func.count()).select_from(d).where(d.c.channel == "pb", d.c.status != "assigned")).scalar_one()
        assert waiting == 0
        tenures = conn.execute(select(p.c.doc, func.count(), func.sum(case((p.c.open, 1), else_=0))).group_by(p.c.doc)).all()
        assert tenures and all(count == 1 and open_ == 1 for _, count, open_ in tenures)
        seqs = conn.execute(select(func.count(), func.min(e.c.seq), func.max(e.c.seq))).one()
        assert seqs[1] == 0 and seqs[2] == seqs[0] - 1  # one gap-free order

    signer = log_signer(w.store)
    export_store(w.store, tmp_path / "export", signer, LOG_ORIGIN)
    result = verify_export(tmp_path / "export", NoteVerifier.from_vkey(signer.verifier_key()), LOG_ORIGIN)
    assert result.size == seqs[0]


def test_one_idempotency_key_sent_at_once_registers_one_document(served):
    w, base = served
    key = {**w.headers("claimant"), "Idempotency-Key": "same-key-7"}
    answers: list[httpx.Response] = []

    def send(n: int) -> None:
        answers.append(httpx.post(f"{base}/api/v1/documents", headers=key, json=document_row(3000 + n), timeout=60))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 422, 422, 422, 422, 422]
    assert all(a.json()["errors"][0]["field"] == "Idempotency-Key" for a in answers if a.status_code == 422)
    d = schema.documents
    with w.store.read() as conn:
        numbers = set(conn.execute(select(d.c.number)).scalars())
    assert sum(document_row(3000 + n)["doc_number"] in numbers for n in range(6)) == 1
