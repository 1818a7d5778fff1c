"""End to end through the installed `casedraw` command, as an operator would use it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from factories import bailiff_row, document_row
from openpyxl import Workbook

from casedraw.domain.model import BAILIFF_COLUMNS, DOCUMENT_COLUMNS, OPTIONAL_BAILIFF_COLUMNS
from casedraw.services.intake import CHUNK

CASEDRAW = str(Path(sys.executable).with_name("casedraw"))


def run(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEDRAW_DB": db, "COLUMNS": "200"}
    return subprocess.run([CASEDRAW, *args], capture_output=True, text=True, env=env, timeout=300)


def write_csv(path: Path, columns, rows, delimiter=",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def summary_line(out: str, what: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(what))


def test_operator_flow_with_csv(db_url, tmp_path):
    assert run("init", db=db_url).stdout.strip() == "configuration version 1 recorded"
    assert run("init", db=db_url).stdout.strip() == "already initialised; nothing changed"

    registry = write_csv(tmp_path / "pbs.csv", BAILIFF_COLUMNS + OPTIONAL_BAILIFF_COLUMNS, [bailiff_row(n) for n in range(3)])
    result = run("registry", "import", str(registry), db=db_url)
    assert result.returncode == 0, result.stderr
    assert summary_line(result.stdout, "bailiffs") == "bailiffs: registered 3"

    rows = [document_row(0), document_row(1, debtor_idn="850412300705"), document_row(2), document_row(3, region="Атлантида")]
    docs = write_csv(tmp_path / "docs.csv", DOCUMENT_COLUMNS, rows, delimiter=";")  # Excel in a Russian locale
    errors_file = tmp_path / "errors.csv"
    result = run("submit", str(docs), "--errors-csv", str(errors_file), db=db_url)
    assert result.returncode == 1
    assert summary_line(result.stdout, "documents") == "documents: accepted 2, rejected 2"
    assert "check digit is 5, expected 4" in result.stderr and "unknown region 'Атлантида'" in result.stderr
    with errors_file.open(encoding="utf-8") as f:
        assert [(r["row"], r["field"]) for r in csv.DictReader(f)] == [("3", "debtor_idn"), ("5", "region")]

    result = run("submit", str(docs), db=db_url)
    assert summary_line(result.stdout, "documents") == "documents: duplicate 2, rejected 2"

    result = run("summary", db=db_url)
    assert result.returncode == 0
    almaty = next(line for line in result.stdout.splitlines() if "KZ-75" in line)
    cells = [cell.strip() for cell in almaty.split("│")[1:-1]]
    assert cells == ["KZ-75 Almaty", "3", "2", "0", "0", "0.5"]  # 3 PBs; 2 documents of 250,000 KZT

    assert run("rebuild", db=db_url).stdout.startswith("rebuilt projections from 9 events")


def test_a_file_of_more_than_one_chunk_is_registered_once_and_verifies(db_url, tmp_path):
    """Past one chunk the rows are prepared by a second process while the command registers: every row
    is answered in order, a repeat in a later chunk is found, and the log verifies."""
    run("init", db=db_url)
    rows = [document_row(n) for n in range(CHUNK + 300)]
    rows[7]["debtor_idn"] = "850412300705"  # a wrong check digit, in the first chunk
    rows[CHUNK + 10]["region"] = "Атлантида"  # an unknown region, in the second
    rows.append(document_row(3))  # a repeat of the first chunk's fourth row
    docs = write_csv(tmp_path / "docs.csv", DOCUMENT_COLUMNS, rows)
    errors_file = tmp_path / "errors.csv"
    result = run("submit", str(docs), "--errors-csv", str(errors_file), db=db_url)
    assert result.returncode == 1, result.stderr
    assert summary_line(result.stdout, "documents") == f"documents: accepted {CHUNK + 298:,}, duplicate 1, rejected 2"
    with errors_file.open(encoding="utf-8") as f:
        assert [(r["row"], r["field"]) for r in csv.DictReader(f)] == [("9", "debtor_idn"), (str(CHUNK + 12), "region")]
    assert run("draw", db=db_url).returncode == 0  # nobody to draw to: every document left pending, and logged so
    out = tmp_path / "public"
    exported = run("export", "--out", str(out), db=db_url)
    assert exported.returncode == 0, exported.stderr
    vkey = next(line.split(": ", 1)[1] for line in exported.stdout.splitlines() if line.startswith("verifier key: "))
    verified = subprocess.run([CASEDRAW, "verify", str(out), "--key", vkey], capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{CHUNK + 298:,} documents" in verified.stdout or f"{CHUNK + 298} documents" in verified.stdout, verified.stdout


def test_xlsx_with_numeric_cells_is_read_as_a_person_would_expect(db_url, tmp_path):
    run("init", db=db_url)
    book = Workbook()
    sheet = book.active
    sheet.append(list(DOCUMENT_COLUMNS))
    row = document_row(0, debtor_idn="050412500011", amount_kzt=None)  # born 2005: the IIN starts with 0
    values = [row[c] for c in DOCUMENT_COLUMNS]
    values[DOCUMENT_COLUMNS.index("debtor_idn")] = 50412500011  # typed as a number, Excel dropped the zero
    values[DOCUMENT_COLUMNS.index("amount_kzt")] = 1500.5
    sheet.append(values)
    sheet.append([document_row(1, doc_date="2026-13-40")[c] for c in DOCUMENT_COLUMNS])
    path = tmp_path / "docs.xlsx"
    book.save(path)
    result = run("submit", str(path), "--errors-csv", str(tmp_path / "errors.csv"), db=db_url)
    assert summary_line(result.stdout, "documents") == "documents: accepted 1, rejected 1"
    assert (tmp_path / "errors.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "3,doc_date,'2026-13-40' is not a date in YYYY-MM-DD form"
    ]


def test_jsonl_with_a_broken_line_keeps_the_good_ones(db_url, tmp_path):
    run("init", db=db_url)
    path = tmp_path / "docs.jsonl"
    lines = [json.dumps(document_row(0)), "{not json", json.dumps({k: v for k, v in document_row(1).items() if k != "region"}),
             json.dumps(document_row(2) | {"colour": "red"}), json.dumps(document_row(3) | {"amount_kzt": 1200})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("submit", str(path), db=db_url)
    assert result.returncode == 1
    assert summary_line(result.stdout, "documents") == "documents: accepted 2, rejected 3"
    assert "is not valid JSON" in result.stderr and "region" in result.stderr and "colour" in result.stderr


def test_missing_column_or_unreadable_file_stores_nothing(db_url, tmp_path):
    run("init", db=db_url)
    columns = [c for c in DOCUMENT_COLUMNS if c != "debtor_idn"]
    path = write_csv(tmp_path / "docs.csv", columns, [{c: document_row(0)[c] for c in columns}])
    result = run("submit", str(path), db=db_url)
    assert result.returncode == 2
    assert "missing column(s) debtor_idn" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    result = run("submit", str(broken), db=db_url)
    assert result.returncode == 2 and "not a readable XLSX workbook" in result.stderr
    result = run("submit", str(tmp_path / "nothing.csv"), db=db_url)
    assert result.returncode == 2 and "no such file" in result.stderr
    assert run("rebuild", db=db_url).stdout.startswith("rebuilt projections from 4 events")  # configuration and beacon anchor only


def test_submit_before_init_says_what_to_do(db_url, tmp_path):
    path = write_csv(tmp_path / "docs.csv", DOCUMENT_COLUMNS, [document_row(0)])
    result = run("submit", str(path), db=db_url)
    assert result.returncode == 2 and "run `casedraw init` first" in result.stderr


def test_demo_builds_a_national_data_set(db_url):
    result = run("demo", "--docs", "3000", "--days", "14", "--db", db_url, db=db_url)
    assert result.returncode == 0, result.stderr
    assert "registry: 1,501 private bailiffs: registered 1,501" in result.stdout
    assert "recognised as already registered" in result.stdout
    region_rows = [line for line in result.stdout.splitlines() if line.startswith("│ KZ-")]
    assert len(region_rows) == 40  # intake by region, then weighted load by region
    assert "round 3:" in result.stdout and "steps recorded by bailiffs" in result.stdout
    load_rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in region_rows[20:]]
    assert all(float(row[-1]) <= 12 for row in load_rows)  # every region within the guard of the weight table


def test_simulate_prints_the_measures_as_json():
    result = subprocess.run(
        [CASEDRAW, "simulate", "--bailiffs", "10", "--docs", "3000", "--weights", "classes", "--seed", "5", "--reruns", "200", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    measures = json.loads(result.stdout)
    assert {"k", "n", "max_gap", "w_max", "mean_best_guess", "max_best_guess", "docs_per_second"} <= set(measures)
    assert (measures["k"], measures["n"]) == (10, 3000)
    assert measures["max_gap"] <= 1.5 * measures["w_max"]
    assert 1 / 10 <= measures["mean_best_guess"] <= measures["max_best_guess"] <= 1  # 1/k is the floor of a best guess
    again = subprocess.run(
        [CASEDRAW, "simulate", "--bailiffs", "10", "--docs", "3000", "--weights", "classes", "--seed", "5", "--reruns", "200", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    repeat = json.loads(again.stdout)
    assert {k: v for k, v in repeat.items() if k != "docs_per_second"} == {k: v for k, v in measures.items() if k != "docs_per_second"}


def test_draw_command_assigns_and_reports(db_url, tmp_path):
    run("init", db=db_url)
    registry = write_csv(tmp_path / "pbs.csv", BAILIFF_COLUMNS + OPTIONAL_BAILIFF_COLUMNS, [bailiff_row(n) for n in range(4)])
    run("registry", "import", str(registry), db=db_url)
    assert run("draw", db=db_url).stdout.strip() == "nothing to draw: no registered or pending documents"
    docs = write_csv(tmp_path / "docs.csv", DOCUMENT_COLUMNS, [document_row(n) for n in range(9)])
    run("submit", str(docs), db=db_url)
    result = run("draw", db=db_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("round 1: 9 documents, 9 assigned, 0 pending; seed ")
    run("submit", str(write_csv(tmp_path / "more.csv", DOCUMENT_COLUMNS, [document_row(20)])), db=db_url)
    waiting = run("draw", "--beacon", "drand-quicknet", db=db_url)
    assert waiting.returncode == 3 and "waits for drand round" in waiting.stderr
    result = run("draw", "--drand-url", "http://127.0.0.1:9", db=db_url)  # nothing listens on the discard port
    assert result.returncode == 3 and "stays sealed" in result.stderr
    loads = run("loads", db=db_url)
    row = next(line for line in loads.stdout.splitlines() if "KZ-75" in line)
    assert [c.strip() for c in row.split("│")[1:-1]][:4] == ["KZ-75 Almaty", "4", "9", "0"]


def test_export_and_verify_from_the_command_line(db_url, tmp_path):
    run("demo", "--docs", "1500", "--days", "6", "--db", db_url, db=db_url)
    out = tmp_path / "public"
    exported = run("export", "--out", str(out), db=db_url)
    assert exported.returncode == 0, exported.stderr
    vkey = next(line.split(": ", 1)[1] for line in exported.stdout.splitlines() if line.startswith("verifier key: "))
    verified = subprocess.run([CASEDRAW, "verify", str(out), "--key", vkey], capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0, verified.stderr
    assert " rounds" in verified.stdout and "verified" in verified.stdout
    log = (out / "log.jsonl").read_text(encoding="utf-8").splitlines()
    drawn = max(i for i, line in enumerate(log) if '"kind":"round.drawn"' in line)
    log[drawn] = log[drawn].replace('"draw"]', '"affinity"]', 1)  # relabel one drawn assignment
    (out / "log.jsonl").write_text("\n".join(log) + "\n", encoding="utf-8")
    tampered = subprocess.run([CASEDRAW, "verify", str(out), "--key", vkey], capture_output=True, text=True, timeout=300)
    assert tampered.returncode == 1
    assert f"event {drawn} (round.drawn)" in tampered.stderr and "expected" in tampered.stderr
