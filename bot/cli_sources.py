"""``crisisbot sources``: list, add, remove and refresh the sources the index is built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli_support import EXIT_FAILED, audit, err, handled, out, print_problems, progress_bar, service

sources_app = typer.Typer(help="List, add and remove sources.", no_args_is_help=True)


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """Every indexed source with its id, outlet, date and paragraph count."""
    with handled():
        docs = service().documents()
        if as_json:
            out.print(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=2), markup=False)
            return
        from rich.table import Table

        table = Table("id", "title", "outlet", "date", "paragraphs")
        for d in docs:
            table.add_row(d.id, d.title, d.outlet, d.date or "", str(d.paragraphs))
        out.print(table)


@sources_app.command("add")
def sources_add(
    sources: Annotated[list[str], typer.Argument(help="Files (.txt seed format, .jsonl, .md, .html), folders, or http(s) URLs.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Add sources to the current index without a rebuild (kept in the data dir so rebuilds include them)."""
    import asyncio

    from index.errors import FetchError

    urls = [s for s in sources if "://" in s]
    paths = [Path(s) for s in sources if "://" not in s]
    with handled():
        svc = service()
        failed = 0
        if paths:
            with progress_bar(not quiet) as bar:
                result = svc.add_paths(paths, progress=bar)
            print_problems(result.load)
            _print_change(result)
            audit(svc, "sources add", ", ".join(map(str, paths)), f"{result.change.paragraphs_added} paragraphs added")
        for url in urls:
            try:
                with progress_bar(not quiet) as bar:
                    result = asyncio.run(svc.add_url(url, progress=bar))
            except FetchError as exc:
                err.print(f"[yellow]failed[/yellow] {escape(url)}: {escape(str(exc))}", markup=True, highlight=False)
                audit(svc, "sources add", url, f"failed: {exc}", ok=False)
                failed += 1
                continue
            title = result.load.documents[0].title
            print_problems(result.load)
            _print_change(result, title)
            audit(svc, "sources add", url, f"{title}: {result.change.paragraphs_added} paragraphs added")
        if failed:
            raise typer.Exit(EXIT_FAILED)


def _print_change(result, title: str | None = None) -> None:
    c = result.change
    what = f"{title!r}: " if title else ""
    out.print(
        f"{what}added {c.documents_added} and replaced {c.documents_replaced} sources: {c.paragraphs_added} new paragraphs, "
        f"{c.exact_duplicates + c.near_duplicates} duplicates skipped ({result.seconds:.1f} s)",
        markup=False,
    )


@sources_app.command("remove")
def sources_remove(ids: Annotated[list[str], typer.Argument(help="Source ids, from `crisisbot sources list`.")]) -> None:
    """Remove sources and the paragraphs only they carried."""
    with handled():
        svc = service()
        c = svc.remove_sources(ids).change
        out.print(f"removed {c.documents_removed} sources and {c.paragraphs_removed} paragraphs")
        audit(svc, "sources remove", ", ".join(ids), f"{c.paragraphs_removed} paragraphs removed")


@sources_app.command("refresh")
def sources_refresh() -> None:
    """Fetch every URL source again and re-index the pages whose text changed."""
    import asyncio

    with handled():
        svc = service()
        report = asyncio.run(svc.refresh_urls())
        for url, reason in report.failed:
            err.print(f"[yellow]failed[/yellow] {escape(url)}: {escape(reason)}", markup=True, highlight=False)
        out.print(f"checked {report.checked} URL sources, re-indexed {len(report.changed)}", markup=False)
        for title in report.changed:
            out.print(f"  changed: {title}", markup=False)
        audit(svc, "refresh", "URL sources", f"{report.checked} checked, {len(report.changed)} re-indexed, "
              f"{len(report.failed)} failed", ok=not report.failed)
