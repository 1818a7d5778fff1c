"""Browser tests' harness: `casedraw serve` as a child process over the API test world, people's
accounts for every role, and Debian's chromium driven by Playwright (no browser download).

Chromium is /usr/bin/chromium (`make test` installs Debian's package when it is missing), or
$CASEDRAW_CHROMIUM. Without it the browser tests are skipped, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_world import populate, subjects
from conftest import IN_CI
from test_cli import CASEDRAW

from casedraw.services.access import Role, create_account
from casedraw.store.repository import Store

CHROMIUM = os.environ.get("CASEDRAW_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a long enough password"
START_TIMEOUT = 60.0


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (make test installs Debian's chromium package)"
        if IN_CI:
            pytest.fail(f"CI=true requires {message}")
        pytest.skip(message)
    return CHROMIUM


@dataclass
class Site:
    base: str
    world: dict[str, Any]  # api_world.populate's data: tokens, documents, the application...
    log: Path

    def url(self, path: str) -> str:
        return self.base + path

    def api(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        """A call of the HTTP API with the role's token (what a machine client or the scheduler does)."""
        headers = {"Authorization": f"Bearer {self.world['tokens'][role]}"}
        return httpx.request(method, self.url(path), headers=headers, timeout=60, **kwargs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db_url: str, log: Path) -> Iterator[str]:
    """`casedraw serve` on the database until the block ends; its log (JSON lines) goes to `log`."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        server = subprocess.Popen([CASEDRAW, "serve", "--db", db_url, "--port", str(port), "--log-level", "warning"],
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # ready when /readyz answers 200: a condition, polled, with a deadline
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def account_name(role: Role | str) -> str:
    return f"{role}-user"


@contextmanager
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The API test world behind a real server, with a person's account (username `<role>-user`) per role."""
    store = Store.open(db_url)
    try:
        world = populate(store)
        for role, subject in subjects(world["bailiff"]).items():
            create_account(store, account_name(role), PASSWORD, role, subject)
        world.pop("store")
    finally:
        store.close()
    with serving(db_url, tmp_path / "serve.log") as base:
        yield Site(base, world, tmp_path / "serve.log")


def log_in(page: Any, site: Site, role: Role | str, lang: str = "en") -> None:
    """Log in through the form, as a person does."""
    page.goto(site.url(f"/login?lang={lang}"))
    page.fill("input[name=username]", account_name(role))
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
