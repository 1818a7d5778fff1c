"""`casedraw serve`, `casedraw token` and `casedraw account` end to end, through the installed command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from factories import BANK_BIN, bailiff_row, document_row
from test_cli import CASEDRAW, run, write_csv

from casedraw.domain.model import BAILIFF_COLUMNS, OPTIONAL_BAILIFF_COLUMNS
from casedraw.services.access import AccessRefused, authenticate_token, log_in
from casedraw.store.repository import Store


def _with_store(db: str, action):  # type: ignore[no-untyped-def]
    store = Store.open(db)
    try:
        return action(store)
    finally:
        store.close()


def test_tokens_are_shown_once_listed_and_revoked(db_url):
    assert run("init", db=db_url).returncode == 0
    made = run("token", "create", "--role", "claimant", "--subject", BANK_BIN, "--label", "Halyk integration", "--rate", "200", db=db_url)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    ident = token.split("_")[1]
    assert token.startswith("cdw_") and ident in made.stderr
    principal = _with_store(db_url, lambda store: authenticate_token(store, token))
    assert (str(principal.role), principal.subject, principal.rate) == ("claimant", BANK_BIN, 200)
    listed = run("token", "list", db=db_url)
    assert ident in listed.stdout and "Halyk integration" in listed.stdout and token.split("_", 2)[2] not in listed.stdout
    assert run("token", "revoke", ident, db=db_url).returncode == 0
    assert _with_store(db_url, lambda store: authenticate_token(store, token)) is None
    again = run("token", "revoke", ident, db=db_url)
    assert again.returncode == 2 and "token:" in again.stderr and "already revoked" in again.stderr
    wrong = run("token", "create", "--role", "judge", "--subject", "x", db=db_url)
    assert wrong.returncode == 2 and "role:" in wrong.stderr
    bad_claimant = run("token", "create", "--role", "claimant", "--subject", "123", db=db_url)
    assert bad_claimant.returncode == 2 and "subject:" in bad_claimant.stderr


def test_accounts_from_the_command_line(db_url):
    assert run("init", db=db_url).returncode == 0
    env = {**os.environ, "CASEDRAW_DB": db_url}
    create = [CASEDRAW, "account", "create", "aigerim", "--role", "commission", "--subject", "cm-75", "--password-stdin"]
    short = subprocess.run(create, input="too short\n", capture_output=True, text=True, env=env, timeout=120)
    assert short.returncode == 2 and "password:" in short.stderr
    made = subprocess.run(create, input="correct horse battery\n", capture_output=True, text=True, env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    token, _ = _with_store(db_url, lambda store: log_in(store, "aigerim", "correct horse battery"))
    assert _with_store(db_url, lambda store: authenticate_token(store, token)).subject == "cm-75"
    for _ in range(5):
        with pytest.raises(AccessRefused):
            _with_store(db_url, lambda store: log_in(store, "aigerim", "wrong password!"))
    with pytest.raises(AccessRefused, match="locked"):
        _with_store(db_url, lambda store: log_in(store, "aigerim", "correct horse battery"))
    assert run("account", "unlock", "aigerim", db=db_url).returncode == 0
    assert _with_store(db_url, lambda store: log_in(store, "aigerim", "correct horse battery"))
    unknown = run("account", "unlock", "nobody", db=db_url)
    assert unknown.returncode == 2 and "username:" in unknown.stderr
    assert run("account", "disable", "aigerim", db=db_url).returncode == 0
    assert _with_store(db_url, lambda store: authenticate_token(store, token)) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_until_interrupted(db_url, tmp_path: Path):
    assert run("init", db=db_url).returncode == 0
    bailiffs = write_csv(tmp_path / "bailiffs.csv", BAILIFF_COLUMNS + OPTIONAL_BAILIFF_COLUMNS, [bailiff_row(n) for n in range(3)])
    assert run("registry", "import", str(bailiffs), db=db_url).returncode == 0
    token = run("token", "create", "--role", "claimant", "--subject", BANK_BIN, db=db_url).stdout.strip()
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([CASEDRAW, "serve", "--db", db_url, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        answer = httpx.post(f"{base}/api/v1/documents", json=document_row(1), headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201 and answer.json()["status"] == "accepted"
        assert httpx.get(f"{base}/api/v1/openapi.json").json()["openapi"].startswith("3.1")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
        log.close()
    lines = (tmp_path / "serve.log").read_text().splitlines()
    assert any('"route":"/api/v1/documents"' in line and '"status":201' in line for line in lines)  # the JSON access log
