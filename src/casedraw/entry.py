"""The `casedraw` command: `verify` loads alone (cli_verify.py), everything else loads the full CLI."""

from __future__ import annotations

import sys

from casedraw.collector import for_throughput


def main() -> None:
    for_throughput()
    if sys.argv[1:2] == ["verify"]:
        from casedraw.cli_verify import verify_app

        verify_app(prog_name="casedraw")
        return
    from casedraw.cli import main as full

    full()
