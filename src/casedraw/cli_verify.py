"""`casedraw verify`, loadable on its own.

Verifying a national log is the command whose memory matters most, and anyone may run it; it needs
only the ledger, Typer and Rich, so `casedraw verify` does not load the database stack, the file
readers and the services (about 30 MB) next to a replay of millions of events (entry.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(soft_wrap=True)  # piped output stays one line per message
errors_console = Console(stderr=True, soft_wrap=True)
EXIT_FAILED, EXIT_UNUSABLE_INPUT = 1, 2


def verify(
    directory: Annotated[Path, typer.Argument(help="An export directory (casedraw export).")],
    key: Annotated[str | None, typer.Option(help="The log's verifier key, as published by the operator. Default: DIR/log.vkey.")] = None,
    origin: Annotated[str | None, typer.Option(help="Expected checkpoint origin.")] = None,
) -> None:
    """Replay the whole public log with the published algorithm and check every checkpoint. Exit 0 only if all agree."""
    from casedraw.ledger.checkpoint import NoteVerifier
    from casedraw.ledger.publish import VKEY_FILE, Discrepancy, VerificationFailed, verify_export

    started = time.perf_counter()
    if key is None:
        key_file = directory / VKEY_FILE
        if not key_file.is_file():
            fail(f"--key: no verifier key given and {key_file} does not exist")
        key = key_file.read_text(encoding="ascii").strip()
        errors_console.print(f"[yellow]note:[/] trusting the key found in {key_file}; pass --key with the operator's published key to check authenticity")
    try:
        result = verify_export(directory, NoteVerifier.from_vkey(key), origin)
    except (Discrepancy, VerificationFailed) as exc:
        errors_console.print(f"[bold red]verification FAILED[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    except ValueError as exc:
        fail(str(exc))
    s = result.summary
    console.print(
        f"verified {result.size:,} events against {result.checkpoints} signed checkpoint(s) in {time.perf_counter() - started:.1f} s: "
        f"{s.documents:,} documents, {s.rounds:,} rounds, {s.assignments:,} assignments recomputed, {s.pending:,} pending; "
        f"root {result.root.hex()}"
    )


def fail(message: str) -> typer.Exit:
    errors_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(EXIT_UNUSABLE_INPUT)


verify_app = typer.Typer(add_completion=False)
verify_app.command("verify")(verify)


@verify_app.callback()
def _group() -> None:
    """casedraw, with only the verify command loaded."""
