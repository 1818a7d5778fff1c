"""A bailiff's steps, the chamber's overdue list, the historical baseline and the statistics, through
the installed `casedraw` command as the people using it would run them."""

from __future__ import annotations

import datetime as dt
import json

from factories import bailiff_row, document_row
from test_cli import run, write_csv

from casedraw.domain.history import HISTORY_COLUMNS
from casedraw.domain.model import BAILIFF_COLUMNS, DOCUMENT_COLUMNS, OPTIONAL_BAILIFF_COLUMNS
from casedraw.services import KZ_TIME


def _holder(doc: int, db: str) -> str:
    return json.loads(run("document", "timeline", str(doc), "--json", db=db).stdout)[-1]["licence"]


def test_steps_overdue_history_and_stats_from_the_command_line(db_url, tmp_path):
    today = dt.datetime.now(KZ_TIME).date()
    run("init", db=db_url)
    bailiffs = write_csv(tmp_path / "b.csv", BAILIFF_COLUMNS + OPTIONAL_BAILIFF_COLUMNS, [bailiff_row(i) for i in range(3)])
    assert run("registry", "import", str(bailiffs), db=db_url).returncode == 0
    docs = write_csv(tmp_path / "d.csv", DOCUMENT_COLUMNS, [document_row(n) for n in range(4)])
    assert run("submit", str(docs), db=db_url).returncode == 0
    assert run("draw", db=db_url).returncode == 0
    holder = _holder(1, db_url)
    other = next(f"PB-{i:05d}" for i in range(3) if f"PB-{i:05d}" != holder)

    assert run("proceeding", "step", "1", "acknowledged", "--as", f"bailiff:{holder}", db=db_url).returncode == 0
    again = run("proceeding", "step", "1", "acknowledged", "--as", f"bailiff:{holder}", db=db_url)
    assert again.returncode == 1 and "already acknowledged" in again.stderr
    early = run("proceeding", "step", "1", "closed", "--reason", "impossible", "--as", f"bailiff:{holder}", db=db_url)
    assert early.returncode == 1 and "not initiated yet" in early.stderr
    stranger = run("proceeding", "step", "1", "initiated", "--reference", "R-1", "--as", f"bailiff:{other}", db=db_url)
    assert stranger.returncode == 1 and f"not an open proceeding of {other}" in stranger.stderr

    steps = write_csv(tmp_path / "steps.csv", ("doc", "step", "amount_kzt", "reason", "reference", "note"), [
        {"doc": 1, "step": "initiated", "reference": "R-1"},
        {"doc": 1, "step": "recovered", "amount_kzt": "100.00"},
        {"doc": 1, "step": "recovered", "amount_kzt": "900000.00"},  # more than the claim of 250,000
        {"doc": 999, "step": "acknowledged"},
    ])
    uploaded = run("proceeding", "upload", str(steps), "--as", f"bailiff:{holder}", db=db_url)
    assert uploaded.returncode == 1 and "accepted 2, refused 2" in uploaded.stdout
    assert "exceeds the outstanding 249,900.00 KZT" in uploaded.stderr and "document 999 is not registered" in uploaded.stderr
    timeline = json.loads(run("document", "timeline", "1", "--json", db=db_url).stdout)
    assert [s["what"] for s in timeline if s["what"].startswith("proceeding.")][:3] == [
        "proceeding.assigned", "proceeding.acknowledged", "proceeding.initiated"]
    assert timeline[-1]["recovered_bp"] == 4  # 100 of 250,000 KZT, rounded down

    assert run("overdue", "--day", today.isoformat(), db=db_url).returncode == 0
    late = run("overdue", "--day", (today + dt.timedelta(days=30)).isoformat(), db=db_url)
    assert late.returncode == 1
    late_docs = {line.split("│")[3].strip() for line in late.stdout.splitlines() if line.startswith("│ KZ-75")}
    assert late_docs == {"2", "3", "4"}  # document 1 is initiated

    history = write_csv(tmp_path / "history.csv", HISTORY_COLUMNS, [
        {"record": "A-1", "region": "KZ-75", "claimant_kind": "bank", "licence": "PB-00001", "lodged": "2025-05-05",
         "initiated": "2025-05-06", "closed": "2025-09-01", "outcome": "recovered", "amount_kzt": "1000", "recovered_kzt": "1000"},
        {"record": "A-2", "region": "KZ-75", "claimant_kind": "mfo", "licence": "PB-00002", "lodged": "2025-05-05",
         "initiated": "2025-05-09", "closed": "", "outcome": "", "amount_kzt": "500", "recovered_kzt": "100"},
        {"record": "A-3", "region": "KZ-75", "claimant_kind": "bank", "licence": "PB-00001", "lodged": "2025-06-01",
         "initiated": "2025-05-30", "closed": "", "outcome": "", "amount_kzt": "500", "recovered_kzt": "0"},
        {"record": "A-4", "region": "KZ-75", "claimant_kind": "bank", "licence": "PB-00001", "lodged": "2026-04-01",
         "initiated": "", "closed": "", "outcome": "returned", "amount_kzt": "500", "recovered_kzt": "0"},
    ])
    imported = run("history", "import", str(history), db=db_url)
    assert imported.returncode == 1 and "accepted 2" in imported.stdout and "rejected 2" in imported.stdout
    assert "is before lodged" in imported.stderr and "not before automatic distribution began" in imported.stderr
    assert "is given exactly when closed is" in imported.stderr
    again = run("history", "import", str(history), db=db_url)
    assert "duplicate 2" in again.stdout
    refused = run("history", "import", str(history), "--as", "bailiff:PB-00001", db=db_url)
    assert refused.returncode == 1 and "ministry or the operator" in refused.stderr

    stats = run("stats", db=db_url)
    assert stats.returncode == 0 and "2 historical records" in stats.stdout
    assert run("stats", str(tmp_path), db=db_url).returncode == 2  # not an export
    out = tmp_path / "public"
    assert run("export", "--out", str(out), db=db_url).returncode == 0
    verified = run("verify", str(out), "--key", (out / "log.vkey").read_text().strip(), db=db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
