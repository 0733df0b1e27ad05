"""``crisisbot import``: large archives into the index, in batches, resumable, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from bot.cli_support import EXIT_FAILED, audit, err, fail, handled, out, progress_bar, service
from index.archive import CsvColumns
from index.importing import BATCH_SIZE, ImportOptions, ImportResult

_COLUMN = "CSV column holding the {} (default: {})."
# A bar per archive: bytes read of its size, speed, time left.
BYTE_COLUMNS = (TextColumn("{task.description:>20.20}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())


def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Archives: .jsonl/.ndjson files, .csv files, folders of .html files.")],
    kind: Annotated[str, typer.Option("--format", help="jsonl, csv or html (a folder); default: by extension.")] = "auto",
    title_col: Annotated[Optional[str], typer.Option("--title-col", help=_COLUMN.format("title", "title"))] = None,
    date_col: Annotated[Optional[str], typer.Option("--date-col", help=_COLUMN.format("date", "date"))] = None,
    url_col: Annotated[Optional[str], typer.Option("--url-col", help=_COLUMN.format("link", "url"))] = None,
    text_col: Annotated[Optional[str], typer.Option("--text-col", help=_COLUMN.format("article text", "text"))] = None,
    outlet_col: Annotated[Optional[str], typer.Option("--outlet-col", help=_COLUMN.format("outlet", "outlet"))] = None,
    id_col: Annotated[Optional[str], typer.Option("--id-col", help=_COLUMN.format("record's own id", "id"))] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Documents per index write (a batch also ends at 32 M characters); each write is published whole.")] = BATCH_SIZE,
    restart: Annotated[bool, typer.Option("--restart", help="Ignore the checkpoint: read every archive from its start.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Import large archives in batches; run it again after an interruption to continue where it stopped.

    No size limit applies (records are read one at a time); no copy is kept under the data dir,
    so `crisisbot index build` does not include imported archives: import them again after it.
    """
    columns = CsvColumns(title=title_col, date=date_col, url=url_col, text=text_col, outlet=outlet_col, id=id_col)
    with handled():
        options = ImportOptions(kind=kind, columns=columns, batch_size=batch_size, restart=restart)
        svc = service()
        try:
            with progress_bar(not quiet, BYTE_COLUMNS) as bar:
                result = svc.import_archives(paths, options, progress=bar)
        except KeyboardInterrupt:
            audit(svc, "import", ", ".join(map(str, paths)), "interrupted", ok=False)
            raise fail("interrupted; the batches already written stay indexed; run the same command to continue", 130) from None
        print_result(result)
        audit(svc, "import", ", ".join(map(str, paths)), summary(result))
        if result.read and not (result.added or result.replaced):
            raise typer.Exit(EXIT_FAILED)


def summary(result: ImportResult) -> str:
    skipped = sum(result.skipped.values())
    reasons = "; ".join(f"{n:,} {reason}" for reason, n in result.skipped.most_common())
    return (f"{result.read:,} documents read: {result.added:,} added, {result.replaced:,} replaced, {skipped:,} skipped"
            f"{f' ({reasons})' if reasons else ''}; {result.paragraphs_added:,} paragraphs added, "
            f"{result.duplicates:,} duplicate paragraphs; {result.batches} writes in {result.seconds:.1f} s")


def print_result(result: ImportResult) -> None:
    for note in result.notes:
        err.print(escape(note), markup=False, highlight=False)
    for word, problems, total in (("skipped", result.examples, sum(result.skipped.values())),
                                  ("warning", result.warnings, result.warning_count)):
        for problem in problems:
            err.print(f"[yellow]{word}[/yellow] {escape(str(problem))}", markup=True, highlight=False)
        if total > len(problems):
            err.print(f"({total - len(problems):,} more {word} lines not shown)", markup=False, highlight=False)
    out.print(summary(result), markup=False)
