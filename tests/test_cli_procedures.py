"""Every procedure through the installed `casedraw` command, as the people in the chambers,
the ministry, a bank and a bailiff would use it; the history then verifies from its export."""

from __future__ import annotations

import datetime as dt
import json

from factories import BANK_BIN, bailiff_row, document_row
from test_cli import run, write_csv

from casedraw.domain.model import BAILIFF_COLUMNS, DOCUMENT_COLUMNS, OPTIONAL_BAILIFF_COLUMNS
from casedraw.services import KZ_TIME


def test_every_procedure_from_the_command_line(db_url, tmp_path):
    today = dt.datetime.now(KZ_TIME).date()
    run("init", db=db_url)
    bailiffs = write_csv(tmp_path / "b.csv", BAILIFF_COLUMNS + OPTIONAL_BAILIFF_COLUMNS,
                         [bailiff_row(i, chamber_head="yes" if i == 0 else "no") for i in range(3)])
    assert run("registry", "import", str(bailiffs), db=db_url).returncode == 0
    docs = write_csv(tmp_path / "d.csv", DOCUMENT_COLUMNS, [document_row(n) for n in range(6)])
    assert run("submit", str(docs), db=db_url).returncode == 0
    assert run("draw", db=db_url).returncode == 0

    assert run("chamber", "member", "KZ-75", "comm-1", "--as", "ministry:mj-1", db=db_url).returncode == 0
    refused = run("chamber", "member", "KZ-75", "comm-2", "--as", "bailiff:PB-00001", db=db_url)
    assert refused.returncode == 1 and "only the ministry or the chamber head" in refused.stderr

    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    back_dated = run("absence", "add", "PB-00001", "--from", yesterday.isoformat(), "--to", tomorrow.isoformat(), db=db_url)
    assert back_dated.returncode == 1 and "cannot be back-dated" in back_dated.stderr
    added = run("absence", "add", "PB-00001", "--from", tomorrow.isoformat(), "--to", (tomorrow + dt.timedelta(days=3)).isoformat(), db=db_url)
    assert added.returncode == 0 and added.stdout.startswith("absence 1:")
    assert run("absence", "add", "PB-00001", "--from", "31.12.2026", "--to", "x", db=db_url).returncode == 2

    someone_else = run("bailiff", "suspend-self", "PB-00000", "--reason", "x", "--as", "chamber_head:PB-00001", db=db_url)
    assert someone_else.returncode == 1 and "paragraph 17" in someone_else.stderr
    assert run("bailiff", "suspend-self", "PB-00000", "--reason", "chamber duties", db=db_url).returncode == 0

    filed = run("application", "file", "1", "--claimant", BANK_BIN, "--grounds", "inaction", "--statement", "No action",
                "--reference", "DC-17", "--as", "claimant:halyk", db=db_url)
    assert filed.returncode == 0 and "decides by" in filed.stdout
    intruder = run("application", "decide", "1", "--decision", "granted", "--reference", "DC-1", "--reasons", "x", "--as", "commission:intruder", db=db_url)
    assert intruder.returncode == 1 and "disciplinary commission" in intruder.stderr
    granted = run("application", "decide", "1", "--decision", "granted", "--reference", "DC-KZ75-4", "--reasons", "Confirmed",
                  "--as", "commission:comm-1", db=db_url)
    assert granted.returncode == 0 and "drawn again in the next round" in granted.stdout

    steps = json.loads(run("document", "timeline", "2", "--json", db=db_url).stdout)
    holder = steps[-1]["licence"]
    forwarded = run("document", "forward", "2", "--to", "KZ-71", "--basis", "debtor_residence", "--as", f"bailiff:{holder}", db=db_url)
    assert forwarded.returncode == 0

    # The draw's seed depends on the time of the seal: find a bailiff who still holds a document.
    holders = {json.loads(run("document", "timeline", str(doc), "--json", db=db_url).stdout)[-1].get("licence") for doc in range(3, 7)}
    licence = sorted(holders - {None, "PB-00000"})[0]
    revoked = run("bailiff", "licence", licence, "revoked", "--reference", "MJ order 311", db=db_url)
    assert revoked.returncode == 0 and "released for redistribution" in revoked.stdout
    assert run("draw", db=db_url).returncode == 0
    pending = run("pending", db=db_url)
    assert pending.returncode == 1 and "no_bailiff_in_region" in pending.stdout and "KZ-71" in pending.stdout

    config = tmp_path / "draw.json"
    config.write_text(json.dumps({**json.loads(_newest(run("config", "show", "draw", db=db_url).stdout)), "guard": 10}))
    too_soon = run("config", "set", "draw", str(config), "--effective", today.isoformat(), db=db_url)
    assert too_soon.returncode == 1 and "effective" in too_soon.stderr
    assert run("config", "set", "draw", str(config), "--effective", tomorrow.isoformat(), db=db_url).returncode == 0
    assert "draw v2:" in run("config", "show", db=db_url).stdout

    out = tmp_path / "public"
    assert run("export", "--out", str(out), db=db_url).returncode == 0
    verified = run("verify", str(out), "--key", (out / "log.vkey").read_text().strip(), db=db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _newest(shown: str) -> str:
    line = next(line for line in shown.splitlines() if line.startswith("draw v"))
    return line.split(": ", 1)[1]
