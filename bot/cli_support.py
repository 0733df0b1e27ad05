"""What every ``crisisbot`` command shares: the consoles, the service, progress bars, the audit
trail, and the edge where a user-facing error becomes one line and an exit code."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Exit codes: 1 = the operation failed, 2 = bad usage or input.
EXIT_FAILED, EXIT_USAGE = 1, 2


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", markup=True, highlight=False)
    return typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn the errors a user can cause into one clear line."""
    from index.errors import CrisisError

    try:
        yield
    except CrisisError as exc:  # every user-facing core error: bad input exits 2, a failure 1
        raise fail(str(exc), exc.exit_code) from None
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        raise fail(f"{where}{exc.strerror or exc}") from None
    except KeyboardInterrupt:
        raise fail("interrupted; the previous index is still the one in use", 130) from None


@functools.lru_cache(maxsize=2)
def _embedder(model: str, device: str, batch_size: int, backend: str, onnx_cache=None):
    from index.embed import Embedder

    return Embedder(model, device=device, batch_size=batch_size, backend=backend, onnx_cache=onnx_cache)


def load_settings():
    """The settings from the environment and .env; a bad value is one line and exit 2."""
    from pydantic import ValidationError

    from bot.config import BotSettings

    try:
        return BotSettings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = "CRISISBOT_" + str(problem["loc"][0]).upper() if problem.get("loc") else "a setting"
        raise fail(f"{name}: {problem['msg']}", EXIT_USAGE) from None


def settings():
    """This invocation's settings, built once at the entry point (``main`` passes them as the context's obj)."""
    context = click.get_current_context(silent=True)
    if context is None:
        return load_settings()
    root = context.find_root()
    if root.obj is None:
        root.obj = load_settings()
    return root.obj


def service():
    """The service for this invocation; the model is loaded once per process."""
    from index.service import CrisisService

    config = settings()
    embedder = _embedder(config.model, config.device, config.batch_size, config.backend, config.onnx_cache)
    return CrisisService(config, embedder=embedder)


def audit(svc, action: str, target: str, result: str, ok: bool = True) -> None:
    """Record an operator's change in the same audit table as the moderators' (/sources audit shows both)."""
    import getpass

    from bot.state import BotState

    state = BotState.open(svc.settings)
    try:
        state.audit(f"cli:{getpass.getuser()}", action, target, result, ok=ok)
    finally:
        state.close()


@contextmanager
def progress_bar(enabled: bool = True, columns: tuple | None = None) -> Iterator[object]:
    """A callback for the service's progress reports, drawn as rich bars on stderr, one per stage (``columns``:
    rich's, default: done of total and time left)."""
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = columns or (TextColumn("{task.description:>16}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, object] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


def print_problems(load) -> None:
    """What reading skipped, and what it cut (paragraphs over the caps), one line each on stderr."""
    for word, problems in (("skipped", load.skipped), ("warning", load.warnings)):
        for problem in problems:
            err.print(f"[yellow]{word}[/yellow] {escape(str(problem))}", markup=True, highlight=False)


def render_answer(answer) -> None:
    """An answer as ``ask`` prints it: the note, the text, the numbered sources (or the closest passages)."""
    if answer.note:
        out.print(answer.note, style="dim", markup=False)
    out.print(answer.answer, markup=False)
    if answer.citations:
        out.print()
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, c.date) if x)
            out.print(f"[{c.n}] {c.title} ({meta})" + (f"\n    {c.url}" if c.url else ""), markup=False)
    elif answer.passages:
        topics = list(dict.fromkeys(p.paragraph.text[:80] for p in answer.passages[:3]))
        out.print("Closest passages I have:", markup=False)
        for t in topics:
            out.print(f"  - {t}…", markup=False)
    out.print(f"({answer.took_ms:.0f} ms, {answer.searched} passages searched)", style="dim")
