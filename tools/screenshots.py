"""Screenshots of the main pages for docs/screenshots/, from a small national demo.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--docs 8000] [--days 120]

Runs `casedraw demo` into a temporary SQLite file, gives a person's account to one subject of every
role (the claimant with most documents, the bailiff holding most, a chamber head, a commission member
with applications under review, the ministry), serves it with `casedraw serve` and photographs each
page in Debian's chromium (JPEG, 1280 px wide). Nothing here is needed by the tests.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, PASSWORD, account_name, serving  # noqa: E402

from casedraw.services.access import Role, create_account  # noqa: E402
from casedraw.store import schema  # noqa: E402
from casedraw.store.repository import Store  # noqa: E402

CASEDRAW = str(ROOT / ".venv" / "bin" / "casedraw")


def subjects(store: Store) -> dict[Role, str]:
    d, b, m, a = schema.documents, schema.bailiffs, schema.chamber_members, schema.applications
    with store.read() as conn:
        claimant = conn.execute(select(d.c.claimant_idn).group_by(d.c.claimant_idn).order_by(func.count().desc())).scalar()
        bailiff = conn.execute(select(d.c.assigned_to).where(d.c.assigned_to.is_not(None)).group_by(d.c.assigned_to)
                               .order_by(func.count().desc())).scalar()
        region = conn.execute(select(d.c.region).join(a, a.c.doc == d.c.id).where(a.c.status == "review")
                              .group_by(d.c.region).order_by(func.count().desc())).scalar()
        member = conn.execute(select(m.c.member).where(m.c.region == region, m.c.role == "commission")).scalar()
        head = conn.execute(select(b.c.licence).where(b.c.region == region, b.c.chamber_head)).scalar()
    return {Role.CLAIMANT: claimant, Role.BAILIFF: bailiff, Role.CHAMBER_HEAD: head, Role.COMMISSION: member,
            Role.MINISTRY: "mj-1", Role.AUDITOR: "au-1"}


def shoot(base: str, out: Path, region: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])

        def take(page, name: str, path: str) -> None:  # type: ignore[no-untyped-def]
            page.goto(base + path)
            target = out / f"{name}.jpg"
            page.screenshot(path=str(target), type="jpeg", quality=70)
            shots.append(target)

        def charts(page, name: str, path: str) -> None:  # type: ignore[no-untyped-def]
            """Each chart of a page on its own (a region's whole page is many screens long)."""
            page.goto(base + path)
            for n, figure in enumerate(page.locator("figure.chart").all(), start=1):
                target = out / f"{name}-chart-{n}.jpg"
                figure.screenshot(path=str(target), type="jpeg", quality=75)
                shots.append(target)

        public = browser.new_page(viewport={"width": 1280, "height": 900})
        for lang in ("en", "kk", "ru"):
            take(public, f"public-home-{lang}", f"/?lang={lang}")
            take(public, f"public-region-{lang}", f"/regions/{region}?lang={lang}")
        charts(public, "public-region", f"/regions/{region}?lang=en")
        take(public, "public-regions", "/regions?lang=en")
        take(public, "public-verify", "/verify?lang=en")
        take(public, "public-log", "/log?lang=en")
        for role, pages in {Role.CLAIMANT: ["/claimant/documents", "/claimant/submit", "/claimant/upload", "/claimant/applications"],
                            Role.BAILIFF: ["/bailiff/assignments", "/bailiff/absences"],
                            Role.CHAMBER_HEAD: ["/chamber/roster"],
                            Role.COMMISSION: ["/commission/applications"],
                            Role.MINISTRY: ["/ministry/config", "/ministry/audit"]}.items():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/login?lang=en")
            page.fill("input[name=username]", account_name(role))
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            for path in pages:
                take(page, path.strip("/").replace("/", "-"), path)
            page.close()
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--docs", type=int, default=8000)
    parser.add_argument("--days", type=int, default=120)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        subprocess.run([CASEDRAW, "demo", "--docs", str(args.docs), "--days", str(args.days), "--db", url], check=True)
        store = Store.open(url)
        try:
            chosen = subjects(store)
            for role, subject in chosen.items():
                create_account(store, account_name(role), PASSWORD, role, subject)
            with store.read() as conn:
                region = conn.execute(select(schema.bailiffs.c.region).where(schema.bailiffs.c.licence == chosen[Role.CHAMBER_HEAD])).scalar()
        finally:
            store.close()
        with serving(url, Path(tmp) / "serve.log") as base:
            for shot in shoot(base, args.out, region):
                print(shot.relative_to(ROOT), f"{shot.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
