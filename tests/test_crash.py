"""Crash tests (issue 9): kill -9 of a real `casedraw` process at random points during bulk intake
(`casedraw serve` receiving POST /api/v1/documents/bulk) and during a round (`casedraw draw`), then
restart and check: every acknowledged document exists exactly once, every sealed round completes with
the same result, the log's head agrees with the events table, the projections equal a rebuild from
the log, and `casedraw export` + `casedraw verify` pass. See docs/RESILIENCE.md.

Each iteration draws everything (the documents, the requests, where and how to kill, how to restart)
from a seeded RNG; its seed is printed when it fails. Environment:
  CASEDRAW_CRASH_ITERATIONS  iterations of each scenario on each database (default 10 intake and 16 round
                             iterations per database: 52 in all); the long mode sets it higher
  CASEDRAW_CRASH_SEED        base of the seeds (default 2026; "random" for a new one each run)
  CASEDRAW_CRASH_ONLY        run only the iteration with this seed (as printed), to replay it
  CASEDRAW_CRASH_PARALLEL    iterations run at once (default 2, 1 under pytest-xdist: most of the time is processes starting)

Iteration i of each test also restarts through the real commands when i % 10 == 0 (a second
`casedraw serve`, `casedraw draw`; `casedraw export` + `casedraw verify`): in the others the restart is
the same service code in this process, which saves starting an interpreter.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from crash_harness import (
    PHASES,
    Child,
    Database,
    Databases,
    Failures,
    Listener,
    Plan,
    child_env,
    export_and_verify,
    log_consistency,
    open_store,
    run_until,
    site_directory,
    wait_sessions_gone,
)
from factories import BANK_BIN, bailiff_row, document_row, iin
from sqlalchemy import func, select

from casedraw.ledger.events import Actor, Event
from casedraw.services import Context
from casedraw.services.access import create_token
from casedraw.services.intake import submit_documents
from casedraw.services.registry import import_bailiffs
from casedraw.services.rounds import run_round
from casedraw.services.setup import initialise
from casedraw.store import schema

ITERATIONS = {"intake": 10, "round": 16}
if os.environ.get("CASEDRAW_CRASH_ITERATIONS"):
    ITERATIONS = dict.fromkeys(ITERATIONS, int(os.environ["CASEDRAW_CRASH_ITERATIONS"]))
# Under pytest-xdist (`make test` runs -n 2) the workers already fill both cores.
PARALLEL = int(os.environ.get("CASEDRAW_CRASH_PARALLEL", "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2"))
_BASE = os.environ.get("CASEDRAW_CRASH_SEED", "2026")
BASE = str(random.SystemRandom().randrange(10**6)) if _BASE == "random" else _BASE
ONLY = os.environ.get("CASEDRAW_CRASH_ONLY")
KINDS = ["sqlite", "postgresql"]
TEMPLATE_ROUND_1 = range(0, 150)  # documents drawn in round 1 of the template
TEMPLATE_WAITING = range(150, 400)  # registered, waiting for round 2: the round the crash tests draw
NEW = range(10_000, 16_000)  # numbers intake iterations draw their new documents from


def seeds(scenario: str, kind: str) -> list[str]:
    prefix = f"{scenario}-{kind}-"
    if ONLY:
        return [ONLY] if ONLY.startswith(prefix) else []
    return [f"{prefix}{BASE}-{i}" for i in range(ITERATIONS[scenario])]


def with_commands(seed: str) -> bool:
    """Whether this iteration restarts and verifies with the real commands (every tenth, the first included)."""
    return int(seed.rsplit("-", 1)[1]) % 10 == 0


def operator() -> Context:
    return Context(Actor("operator", "crash-test"))


# --- the template: one prepared database per kind, copied for every iteration ------------------

def row_of(n: int) -> dict[str, object]:
    """Document n: two regions with bailiffs, one (KZ-19) without, debtors shared so that affinity plays."""
    region = "KZ-19" if n % 23 == 0 else ("KZ-75", "KZ-11")[n % 2]
    return document_row(n, region=region, debtor_idn=iin(n % 97 if n < 1000 else n))


@dataclass
class Template:
    kind: str
    databases: Databases
    db: Database
    site: Path
    token: str
    work: Path
    calibration: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module", params=KINDS)
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    kind = request.param
    work = tmp_path_factory.mktemp(f"crash-{kind}")
    if kind == "postgresql":
        from conftest import _PG_UNAVAILABLE, IN_CI

        if _PG_UNAVAILABLE:
            if IN_CI:
                pytest.fail(f"CI=true requires PostgreSQL: {_PG_UNAVAILABLE}")
            pytest.skip(_PG_UNAVAILABLE)
    databases = Databases(kind, work)
    try:
        db = databases.fresh()
        store = open_store(db.url)
        try:
            ctx = operator()
            initialise(store, ctx)
            bailiffs = [bailiff_row(0), bailiff_row(1, conflicts=iin(3)), bailiff_row(2, allocation_share="0.5"),
                        *(bailiff_row(n) for n in (3, 4)),
                        *(bailiff_row(n, region="KZ-11", district="Astana, district 1") for n in (10, 11, 12))]
            import_bailiffs(store, list(enumerate(bailiffs, start=2)), ctx)
            claimant = Context(Actor("claimant", BANK_BIN))
            submit_documents(store, [(n, row_of(n)) for n in TEMPLATE_ROUND_1], claimant)
            run_round(store, ctx)
            submit_documents(store, [(n, row_of(n)) for n in TEMPLATE_WAITING], claimant)
            token = create_token(store, "claimant", BANK_BIN, "crash tests", rate=100_000).token
        finally:
            store.close()
        yield Template(kind, databases, db, site_directory(work), token, work)
    finally:
        databases.close()


def run_iterations(name: str, template: Template, scenario: str, iteration: Any) -> None:
    chosen = seeds(scenario, template.kind)
    if not chosen:
        pytest.skip(f"CASEDRAW_CRASH_ONLY={ONLY} is another scenario's")
    failures = Failures(name)
    started = time.monotonic()

    def one(seed: str) -> None:
        story: list[str] = []
        began = time.monotonic()
        try:
            problems = iteration(template, seed, random.Random(seed), story)
        except Exception as exc:  # an iteration that breaks is reported with its seed like one that finds a problem
            problems = [f"{type(exc).__name__}: {exc}"]
        print(f"{seed} ({time.monotonic() - began:.1f} s): " + "; ".join(story))  # shown with -s, or when the test fails
        if problems:
            failures.add(seed, story, problems)

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(one, chosen))
    print(f"{name} on {template.kind}: {len(chosen)} iterations in {time.monotonic() - started:.1f} s (seeds {scenario}-{template.kind}-{BASE}-*)")
    assert not failures.items, failures.report()


# --- intake: `casedraw serve` killed while bulk requests are in flight --------------------------

@dataclass
class Request:
    index: int
    numbers: list[int]  # the document behind each item (negative: a deliberately invalid row)
    key: str | None

    def body(self) -> dict[str, object]:
        return {"documents": [_item(n) for n in self.numbers]}

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": self.key} if self.key else {})}


def _item(n: int) -> dict[str, object]:
    if n >= 0:
        return row_of(n)
    good = str(row_of(-n)["debtor_idn"])
    return row_of(-n) | {"debtor_idn": good[:-1] + str((int(good[-1]) + 1) % 10), "doc_number": f"X-{-n}/2026"}  # wrong check digit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(base: str, child: Child | None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if child is not None and not child.alive():
            raise RuntimeError(f"casedraw serve ended before it was ready: {child.output()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError("casedraw serve was not ready in time")
        time.sleep(0.02)  # waiting for start-up, not for a race


class Clients:
    """Threads sending the bulk requests in turn; each answer received is an acknowledgement."""

    def __init__(self, base: str, token: str, requests: list[Request], threads: int):
        self.base, self.token, self.requests = base, token, requests
        self.answers: dict[int, dict[str, Any]] = {}
        self.problems: list[str] = []
        self._next = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while True:
                with self._lock:
                    if self._next >= len(self.requests):
                        return
                    request = self.requests[self._next]
                    self._next += 1
                try:
                    answer = client.post("/api/v1/documents/bulk", json=request.body(), headers=request.headers(self.token))
                except httpx.TransportError:
                    return  # the server is gone: this request is not acknowledged
                with self._lock:
                    if answer.status_code == 200:
                        self.answers[request.index] = answer.json()
                    else:
                        self.problems.append(f"request {request.index} answered {answer.status_code}: {answer.text[:300]}")

    def done(self) -> bool:
        return not any(t.is_alive() for t in self._threads)

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=120)


def intake_iteration(template: Template, seed: str, rng: random.Random, story: list[str]) -> list[str]:
    databases = template.databases
    db = databases.copy(template.db)
    problems: list[str] = []
    try:
        # The documents: new ones, some sent twice, some the template registered already, a few invalid.
        new = rng.sample(NEW, rng.randint(60, 240))
        items = new + rng.sample(new, len(new) // 8) + rng.sample(TEMPLATE_WAITING, 4) + [-n for n in rng.sample(new, 3)]
        rng.shuffle(items)
        requests, start = [], 0
        while start < len(items):
            size = rng.randint(1, 40)
            requests.append(Request(len(requests), items[start : start + size], f"{seed}-r{len(requests)}" if rng.random() < 0.4 else None))
            start += size
        if rng.random() < 0.5:
            plan = Plan("counted", n=rng.randint(1, len(requests)), phase=rng.choice(PHASES))
        else:
            plan = Plan("timed", n=rng.randint(1, len(requests)), delay=rng.uniform(0, 0.02), victim=rng.choice(("group", "group", "main")))
        threads = rng.randint(1, 3)
        real_restart = with_commands(seed)
        story.append(f"{len(items)} items in {len(requests)} bulk requests from {threads} client(s); {plan}")

        # Serve, send, kill.
        name = f"crash-{uuid.uuid4().hex[:12]}"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        listener = Listener()
        try:
            env = child_env(template.site, plan, listener, process="casedraw-intake")
            server = Child(["serve", "--db", db.tagged(name), "--port", str(port), "--log-level", "warning"], env,
                           template.work / f"{name}.log")
            try:
                _wait_ready(base, server)
                clients = Clients(base, template.token, requests, threads)
                if not run_until(server, plan, listener, done=clients.done):  # never reached: kill it after the last answer
                    server.kill("group")
                    story.append("the point was not reached: killed after the last answer")
                left = server.wait_gone(timeout=15)
                if left:
                    problems.append(f"processes {left} of the server's group outlived it by 15 s (killed now)")
                if not server.killed():
                    problems.append(f"the server ended by itself: {server.output()[-1500:]}")
            finally:
                server.kill("group")
                server.wait_gone(timeout=15)
                server.finish()
            clients.join()
        finally:
            listener.close()
        wait_sessions_gone(db, name)
        problems += clients.problems
        acknowledged = _acknowledged(clients.answers, requests, problems)
        story.append(f"{len(clients.answers)} of {len(requests)} requests acknowledged ({len(acknowledged)} documents)")

        # Restart, resubmit what was not acknowledged and some of what was.
        again = [n for n in dict.fromkeys(items) if n not in acknowledged] + rng.sample(sorted(acknowledged), len(acknowledged) // 3)
        rng.shuffle(again)
        resent = [r for r in requests if r.key and rng.random() < 0.5]  # the same key and body: the same answer if there was one
        story.append(f"restart with {'casedraw serve' if real_restart else 'the app in this process'}; {len(again)} items resubmitted, "
                     f"{len(resent)} keyed requests repeated")
        answers = _restart_and_resubmit(template, db, again, resent, rng, real_restart)
        final = dict(acknowledged)
        for request, answer in answers:
            if request.key and request.index in clients.answers and answer != clients.answers[request.index]:
                problems.append(f"request {request.index} repeated with its key got another answer than the first time")
            for number, result in zip(request.numbers, answer["results"], strict=True):
                if number < 0:
                    if result["status"] != "rejected":
                        problems.append(f"invalid row {number} was {result['status']} on resubmission")
                    continue
                if result["status"] not in ("accepted", "duplicate"):
                    problems.append(f"document {number} was {result['status']} on resubmission: {result['errors']}")
                    continue
                # A repeated keyed request answers as the first time (accepted, perhaps); any other says duplicate.
                if number in acknowledged and (result["status"] if request.key is None else "duplicate", result["id"]) != (
                        "duplicate", acknowledged[number]):
                    problems.append(f"acknowledged document {number} (id {acknowledged[number]}) came back {result['status']} id {result['id']}")
                if final.setdefault(number, result["id"]) != result["id"]:
                    problems.append(f"document {number} has two ids: {final[number]} and {result['id']}")

        problems += _check_intake(db, final, items, cli=real_restart, out=template.work / f"{name}-export")
    finally:
        databases.drop(db)
    return problems


def _acknowledged(answers: dict[int, dict[str, Any]], requests: list[Request], problems: list[str]) -> dict[int, int]:
    """Document number -> id, from every answer the clients received before the kill."""
    acknowledged: dict[int, int] = {}
    for index, answer in answers.items():
        for number, result in zip(requests[index].numbers, answer["results"], strict=True):
            if number < 0:
                continue
            if result["status"] not in ("accepted", "duplicate"):
                problems.append(f"document {number} was {result['status']} before the crash: {result['errors']}")
            elif acknowledged.setdefault(number, result["id"]) != result["id"]:
                problems.append(f"document {number} was acknowledged with two ids: {acknowledged[number]} and {result['id']}")
    return acknowledged


def _restart_and_resubmit(template: Template, db: Database, numbers: list[int], resent: list[Request], rng: random.Random,
                          real: bool) -> list[tuple[Request, dict[str, Any]]]:
    requests = list(resent)
    start = 0
    while start < len(numbers):
        size = rng.randint(1, 100)
        requests.append(Request(-1, numbers[start : start + size], None))
        start += size
    answers = []
    if real:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = Child(["serve", "--db", db.url, "--port", str(port), "--log-level", "warning"], child_env(template.site, None, None),
                       template.work / f"restart-{port}.log")
        try:
            _wait_ready(base, server)
            with httpx.Client(base_url=base, timeout=60) as client:
                for request in requests:
                    answer = client.post("/api/v1/documents/bulk", json=request.body(), headers=request.headers(template.token))
                    assert answer.status_code == 200, answer.text
                    answers.append((request, answer.json()))
        finally:
            server.process.send_signal(signal.SIGINT)
            status = server.process.wait(timeout=60)
            server.wait_gone()
        assert status == 0, f"casedraw serve exited {status} on SIGINT: {server.output()[-2000:]}"
        return answers
    from starlette.testclient import TestClient

    from casedraw.api.app import create_app

    store = open_store(db.url)
    try:
        with TestClient(create_app(store, anonymous_rate=10_000, pages=False)) as client:
            for request in requests:
                answer = client.post("/api/v1/documents/bulk", json=request.body(), headers=request.headers(template.token))
                assert answer.status_code == 200, answer.text
                answers.append((request, answer.json()))
    finally:
        store.close()
    return answers


def _check_intake(db: Database, final: dict[int, int], items: list[int], *, cli: bool, out: Path) -> list[str]:
    problems = []
    valid = {n for n in items if n >= 0}
    missing = valid - set(final)
    if missing:
        problems.append(f"documents {sorted(missing)[:5]} have no id after resubmission")
    wanted = {str(row_of(n)["doc_number"]): n for n in valid | set(TEMPLATE_ROUND_1) | set(TEMPLATE_WAITING)}
    invalid = {f"X-{-n}/2026" for n in items if n < 0}
    store = open_store(db.url)
    try:
        d = schema.documents
        with store.read() as conn:
            rows = conn.execute(select(d.c.number, func.count(), func.min(d.c.id)).group_by(d.c.number)).all()
        found = {number: (count, first) for number, count, first in rows}
        for number, (count, first) in found.items():
            if count != 1:
                problems.append(f"document {number} registered {count} times")
            if number in invalid:
                problems.append(f"invalid row {number} was registered")
            elif number not in wanted:
                problems.append(f"document {number} was never submitted")
            elif wanted[number] in final and final[wanted[number]] != first:
                problems.append(f"document {number} was acknowledged as id {final[wanted[number]]} but is id {first}")
        lost = [number for number in wanted if number not in found]
        if lost:
            problems.append(f"{len(lost)} documents lost, e.g. {lost[:5]}")
        problems += log_consistency(store)
        problems += export_and_verify(store, out, cli_db=db.url if cli else None)
    finally:
        store.close()
    return problems


def test_intake_survives_kill_9_at_random_points(template: Template) -> None:
    run_iterations("intake crash", template, "intake", intake_iteration)


# --- rounds: `casedraw draw` killed while sealing, taking randomness or drawing ----------------

FIRST = 2  # the template drew round 1; its waiting documents make round 2, the round every iteration crashes
Rounds = dict[int, dict[str, tuple[int, bytes]]]  # round -> event kind -> (seq, body)


def rounds_of(db: Database) -> tuple[Rounds, list[str]]:
    """(seq, body) of each round event from round 2 on, by round and kind; and any round event logged twice."""
    store = open_store(db.url)
    try:
        e = schema.events
        found: Rounds = {}
        twice = []
        with store.read() as conn:
            for seq, kind, body in conn.execute(select(e.c.seq, e.c.kind, e.c.body).where(e.c.kind.like("round.%")).order_by(e.c.seq)):
                number = Event.from_stored(bytes(body), None).data["round"]
                if number >= FIRST:
                    if kind in found.setdefault(number, {}):
                        twice.append(f"round {number} has two {kind} events (seq {found[number][kind][0]} and {seq})")
                    found[number][kind] = (seq, bytes(body))
        return found, twice
    finally:
        store.close()


def data(body: bytes) -> dict[str, Any]:
    return dict(Event.from_stored(body, None).data)


SEAL_INPUTS = ("round", "config", "documents", "excluded", "roster", "beacon", "state")  # what fixes the draw but its seal time
KINDS_OF_A_ROUND = {"round.sealed", "round.randomness", "round.drawn"}


@pytest.fixture(scope="module")
def calibrated(template: Template) -> Template:
    """An uncrashed `casedraw draw` of the template: how long its two transactions take (the window
    timed kills are spread over) and what it seals (the same for every iteration, but the time)."""
    db = template.databases.copy(template.db)
    listener = Listener()
    try:
        child = Child(["draw", "--db", db.url], child_env(template.site, Plan("none"), listener), template.work / "calibration.log")
        assert child.wait_gone(timeout=120) == [] and child.finish() == 0, child.output()
        listener.drain()
        times = {(n, phase): at for at, _, n, phase in listener.points}
        template.calibration["window"] = times[(2, "after-commit")] - times[(1, "begin")]
        rounds, _ = rounds_of(db)
        template.calibration["seal"] = {k: data(rounds[FIRST]["round.sealed"][1])[k] for k in SEAL_INPUTS}
    finally:
        listener.close()
        template.databases.drop(db)
    return template


def round_iteration(template: Template, seed: str, rng: random.Random, story: list[str]) -> list[str]:
    """Kill `casedraw draw` once or twice (a restart that dies too), then complete: every round sealed
    before a crash keeps its seal and is drawn exactly as an uncrashed run draws a copy of the crashed
    database. A run after round 2 was drawn seals round 3 of the documents it left pending: the same holds."""
    databases = template.databases
    db = databases.copy(template.db)
    reference: Database | None = None
    problems: list[str] = []
    listener = Listener()
    try:
        seals: dict[int, tuple[int, bytes]] = {}  # every seal seen after a crash
        for attempt in range(1 if rng.random() < 0.7 else 2):
            if rng.random() < 0.4:
                plan = Plan("counted", n=rng.randint(1, 2), phase=rng.choice(PHASES))
            else:
                plan = Plan("timed", n=1, delay=rng.uniform(0, 1.25 * template.calibration["window"]))
            name = f"crash-{uuid.uuid4().hex[:12]}"
            listener.reset()
            child = Child(["draw", "--db", db.tagged(name)], child_env(template.site, plan, listener), template.work / f"{name}.log")
            try:
                killed = run_until(child, plan, listener)
            finally:
                child.wait_gone()
                status = child.finish()
            wait_sessions_gone(db, name)
            if not killed and status != 0:
                problems.append(f"casedraw draw failed (exit {status}): {child.output()[-1500:]}")
            rounds, twice = rounds_of(db)
            problems += twice
            story.append(f"run {attempt + 1}: {plan}, {'killed' if killed else 'ran to the end'}; after it: "
                         + ", ".join(f"round {r} {'drawn' if 'round.drawn' in k else 'sealed'}" for r, k in sorted(rounds.items())))
            for number, kinds in rounds.items():
                if seals.setdefault(number, kinds["round.sealed"]) != kinds["round.sealed"]:
                    problems.append(f"round {number}'s seal changed after crash {attempt + 1}")

        # The reference: the crashed database, copied, completed by a run nobody kills.
        reference = databases.copy(db)
        ref_store = open_store(reference.url)
        try:
            run_round(ref_store, operator())
        finally:
            ref_store.close()
        expected, _ = rounds_of(reference)

        # The restart: `casedraw draw` again, or the same service in this process.
        if with_commands(seed) or rng.random() < 0.15:
            child = Child(["draw", "--db", db.url], child_env(template.site, None, None), template.work / f"restart-{seed}.log")
            child.wait_gone(timeout=120)
            status = child.finish()
            said = child.output()
            story.append(f"restart: casedraw draw (exit {status}): {said.strip()[:60]}")
            if status != 0 or not said.startswith(("round ", "nothing to draw")):
                problems.append(f"the restarted casedraw draw said: {said[-1500:]}")
            cli = with_commands(seed)
        else:
            store = open_store(db.url)
            try:
                result = run_round(store, operator())
            finally:
                store.close()
            story.append(f"restart: run_round in this process ({'nothing to draw' if result is None else f'round {result.round}'})")
            cli = False
        problems += _check_rounds(template, db, seals, expected, cli=cli, out=template.work / f"export-{uuid.uuid4().hex[:8]}")
    finally:
        listener.close()
        databases.drop(db)
        if reference is not None:
            databases.drop(reference)
    return problems


def _check_rounds(template: Template, db: Database, seals: dict[int, tuple[int, bytes]], expected: Rounds, *, cli: bool,
                  out: Path) -> list[str]:
    rounds, problems = rounds_of(db)
    if sorted(rounds) != sorted(expected) or any(set(kinds) != KINDS_OF_A_ROUND for kinds in rounds.values()):
        return problems + [f"rounds {[(r, sorted(k)) for r, k in sorted(rounds.items())]} logged, an uncrashed run of the same "
                           f"database completes {sorted(expected)}"]
    outcome: dict[int, tuple[str | None, int]] = {}  # document -> (licence or None if pending, round), as the last round left it
    for number, kinds in sorted(rounds.items()):
        seal, drawn, randomness = (data(kinds[k][1]) for k in ("round.sealed", "round.drawn", "round.randomness"))
        if number == FIRST and {k: seal[k] for k in SEAL_INPUTS} != template.calibration["seal"]:
            problems.append(f"round {number} sealed other inputs than an uncrashed draw of the same database")
        if number in seals and kinds["round.sealed"] != seals[number]:
            problems.append(f"round {number}'s seal is not the one logged before the crash")
        if number in seals:  # sealed before the crash: its result was fixed then
            if {k: data(expected[number][k][1]) for k in KINDS_OF_A_ROUND} != {k: data(kinds[k][1]) for k in KINDS_OF_A_ROUND}:
                problems.append(f"round {number} drawn after the crash differs from the same sealed round drawn without one")
        if randomness["index"] != seal["beacon"]["index"]:
            problems.append(f"round {number}: randomness {randomness['index']} for a round sealed for beacon value {seal['beacon']['index']}")
        seen = set()
        for region in drawn["regions"].values():
            for doc, licence, _ in region["assigned"]:
                if doc in seen or outcome.get(doc, (None, 0))[0] is not None:
                    problems.append(f"document {doc} assigned twice (round {number})")
                seen.add(doc)
                outcome[doc] = (licence, number)
            for doc, _ in region["pending"]:
                if doc in seen:
                    problems.append(f"document {doc} appears twice in round {number}")
                seen.add(doc)
                outcome[doc] = (None, number)
        if sorted(seen) != sorted(seal["documents"]):
            problems.append(f"round {number}'s outcomes do not cover exactly the sealed documents")
    last_index = data(rounds[max(rounds)]["round.randomness"][1])["index"]

    # The tables say what the log says: each document assigned once, with one open proceeding, or pending.
    store = open_store(db.url)
    try:
        d, p = schema.documents, schema.proceedings
        with store.read() as conn:
            state = {r.id: (r.status, r.assigned_to, r.round) for r in conn.execute(
                select(d.c.id, d.c.status, d.c.assigned_to, d.c.round).where(d.c.channel == "pb"))}
            opened = conn.execute(select(p.c.doc, func.count()).where(p.c.open).group_by(p.c.doc)).all()
            anchor = conn.execute(select(schema.beacon_anchors.c.last_index)).scalar_one()
        for doc, (licence, number) in outcome.items():
            want = ("assigned", licence, number) if licence else ("pending", None, number)
            if state.get(doc) != want:
                problems.append(f"document {doc} is {state.get(doc)}, the log says {want}")
        waiting = [doc for doc, (status, _, _) in state.items() if status in ("registered", "sealed")]
        if waiting:
            problems.append(f"documents {waiting[:5]} were left {state[waiting[0]][0]}")
        twice = [doc for doc, count in opened if count > 1]
        if twice:
            problems.append(f"documents {twice[:5]} have more than one open proceeding")
        if anchor != last_index:
            problems.append(f"the hash chain was revealed to {anchor}, the last round used {last_index}")
        problems += log_consistency(store)
        problems += export_and_verify(store, out, cli_db=db.url if cli else None)
    finally:
        store.close()
    return problems


def test_a_round_survives_kill_9_at_random_points(calibrated: Template) -> None:
    run_iterations("round crash", calibrated, "round", round_iteration)
