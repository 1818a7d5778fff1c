"""Receipts checked offline, and monitors catching rewritten history."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from factories import document_row
from test_verify import SIGNER, VERIFIER, build_history, numbered

from casedraw.ledger import canonical
from casedraw.ledger.monitor import MonitorAlarm, Seen, check_once
from casedraw.ledger.publish import write_export
from casedraw.ledger.receipts import ReceiptInvalid, check_receipt
from casedraw.services.intake import submit_documents
from casedraw.services.publication import NoSuchReceipt, issue_receipt
from casedraw.services.rounds import run_round
from casedraw.services.setup import LOG_ORIGIN

CASEDRAW = str(Path(sys.executable).with_name("casedraw"))


def test_registration_and_assignment_receipts_check_offline(store, ctx):
    build_history(store)
    registration = issue_receipt(store, 3, "registration", SIGNER, LOG_ORIGIN)
    facts = check_receipt(registration, VERIFIER, LOG_ORIGIN)
    assert facts.opened["debtor"]["idn"] == document_row(2)["debtor_idn"]  # the claimant can open the commitment
    assignment = issue_receipt(store, 3, "assignment", SIGNER, LOG_ORIGIN)
    licence, how = check_receipt(assignment, VERIFIER).assigned_to
    assert licence.startswith("PB-") and how in ("draw", "affinity")


@pytest.mark.parametrize("tamper", ["body", "proof", "index", "private", "checkpoint", "document"])
def test_a_tampered_receipt_is_invalid(store, tamper):
    build_history(store)
    receipt = issue_receipt(store, 3, "registration", SIGNER, LOG_ORIGIN)
    if tamper == "body":
        event = json.loads(receipt["body"])
        event["data"]["region"] = "KZ-71"
        receipt["body"] = canonical.encode(event).decode()
    elif tamper == "proof":
        receipt["proof"][0] = "00" * 32
    elif tamper == "index":
        receipt["index"] += 1
    elif tamper == "private":
        receipt["private"] = receipt["private"].replace('"amount_tiyn":25000000', '"amount_tiyn":1')
    elif tamper == "checkpoint":
        receipt["checkpoint"] = receipt["checkpoint"].replace("\n", "\n\n", 1)
    else:
        receipt["document"] = 4
    with pytest.raises(ReceiptInvalid):
        check_receipt(receipt, VERIFIER)


def test_no_assignment_receipt_before_the_draw(store, ctx):
    submit_documents(store, numbered([document_row(0)]), ctx)
    with pytest.raises(NoSuchReceipt, match="registered, not assigned yet"):
        issue_receipt(store, 1, "assignment", SIGNER, LOG_ORIGIN)
    with pytest.raises(NoSuchReceipt, match="not registered"):
        issue_receipt(store, 99, "registration", SIGNER, LOG_ORIGIN)


def test_monitor_accepts_growth_and_catches_a_rewrite(store, ctx, tmp_path):
    build_history(store)
    out = tmp_path / "public"
    write_export((e.body() for _, e in store.events()), out, SIGNER, LOG_ORIGIN)
    first, _ = check_once(str(out), VERIFIER, None)
    submit_documents(store, numbered([document_row(n) for n in range(200, 205)]), ctx)
    run_round(store, ctx)
    write_export((e.body() for _, e in store.events()), out, SIGNER, LOG_ORIGIN)
    grown, what = check_once(str(out), VERIFIER, Seen(first.size, first.root))
    assert grown.size > first.size and "consistent" in what

    # The operator rewrites an old event and re-signs everything in a fresh directory.
    rewritten = tmp_path / "rewritten"
    bodies = [e.body() for _, e in store.events()]
    event = json.loads(bodies[5])
    event["at"] = event["at"].replace("10:00:00", "10:00:01")
    bodies[5] = canonical.encode(event)
    write_export(iter(bodies[: first.size]), rewritten, SIGNER, LOG_ORIGIN)
    write_export(iter(bodies), rewritten, SIGNER, LOG_ORIGIN)
    with pytest.raises(MonitorAlarm, match="does not extend"):
        check_once(str(rewritten), VERIFIER, Seen(first.size, first.root))
    with pytest.raises(MonitorAlarm, match="two different roots"):
        check_once(str(tmp_path / "rewritten"), VERIFIER, Seen(grown.size, grown.root))


def test_monitor_catches_a_shrunk_log(store, tmp_path):
    build_history(store)
    out = tmp_path / "public"
    bodies = [e.body() for _, e in store.events()]
    write_export(iter(bodies), out, SIGNER, LOG_ORIGIN)
    seen, _ = check_once(str(out), VERIFIER, None)
    shrunk = tmp_path / "shrunk"
    write_export(iter(bodies[:-3]), shrunk, SIGNER, LOG_ORIGIN)
    with pytest.raises(MonitorAlarm, match="shrank"):
        check_once(str(shrunk), VERIFIER, Seen(seen.size, seen.root))


def test_receipt_and_monitor_commands(db_url, tmp_path):
    env_run = lambda *args: subprocess.run([CASEDRAW, *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    assert env_run("demo", "--docs", "800", "--days", "7", "--db", db_url).returncode == 0
    out = tmp_path / "public"
    exported = env_run("export", "--out", str(out), "--db", db_url)
    vkey = next(line.split(": ", 1)[1] for line in exported.stdout.splitlines() if line.startswith("verifier key: "))
    receipt = tmp_path / "receipt.json"
    assert env_run("receipt", "issue", "5", "--kind", "assignment", "--out", str(receipt), "--db", db_url).returncode == 0
    checked = env_run("receipt", "check", str(receipt), "--key", vkey)
    assert checked.returncode == 0 and "document 5 assigned in round" in checked.stdout
    broken = json.loads(receipt.read_text(encoding="utf-8"))
    broken["proof"].reverse()
    receipt.write_text(json.dumps(broken), encoding="utf-8")
    assert env_run("receipt", "check", str(receipt), "--key", vkey).returncode == 1
    state = tmp_path / "monitor.json"
    assert "trusted on first use" in env_run("monitor", str(out), "--key", vkey, "--state", str(state)).stdout
    assert "unchanged" in env_run("monitor", str(out), "--key", vkey, "--state", str(state)).stdout
    shutil.rmtree(out / "checkpoints")
    (out / "checkpoint").write_bytes(b"garbage\n")
    assert env_run("monitor", str(out), "--key", vkey, "--state", str(state)).returncode == 1
