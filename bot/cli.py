"""The ``crisisbot`` command line: build the index, ask questions, manage sources, run the bot.

Errors are one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from bot import logs
from bot.cli_chat import chat_command
from bot.cli_eval import eval_command
from bot.cli_feeds import feeds_app
from bot.cli_import import import_command
from bot.cli_insights import insights_command
from bot.cli_sources import sources_app
from bot.cli_state import state_app
from bot.cli_store import migrate_command, store_app
from bot.cli_support import (
    EXIT_FAILED,
    EXIT_USAGE,
    audit,
    err,
    fail,
    handled,
    load_settings,
    out,
    print_problems,
    progress_bar,
    service,
    settings,
)
from bot.cli_support import render_answer as _render
from index.dates import parse_day

app = typer.Typer(
    name="crisisbot",
    help="Cited answers about the Russia-Ukraine crisis from a corpus of news coverage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
index_app = typer.Typer(help="Build the search index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(sources_app, name="sources")
app.add_typer(feeds_app, name="feeds")
app.add_typer(store_app, name="store")
app.add_typer(state_app, name="state")

SAMPLE_QUESTION = "Who did Blinken write to proposing a meeting?"


def _print_report(result) -> None:
    load, change = result.load, result.change
    print_problems(load)
    dropped = f", {load.boilerplate_dropped} boilerplate lines dropped" if load.boilerplate_dropped else ""
    out.print(
        f"{result.manifest['documents']} documents, {result.manifest['paragraphs']} paragraphs indexed "
        f"({change.paragraphs_added} added, {change.exact_duplicates} exact and {change.near_duplicates} near duplicates collapsed"
        f"{dropped}) in {result.seconds:.1f} s"
    )


# --- index ---------------------------------------------------------------------------------


@index_app.command("build")
def index_build(
    source: Annotated[
        Optional[list[Path]],
        typer.Option("--source", "-s", help="File or folder to index; repeat for more. Default: the bundled corpus plus added sources."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Rebuild the whole index; the old one keeps serving until the new one is complete."""
    with handled():
        svc = service()
        with progress_bar(not quiet) as report:
            result = svc.build(source, progress=report)
        _print_report(result)
        audit(svc, "reindex", ", ".join(map(str, source or [])) or "all sources",
              f"{result.manifest['documents']} sources, {result.manifest['paragraphs']} paragraphs")


@index_app.command("rollback")
def index_rollback() -> None:
    """Serve the previous index again: link the newest older index that verifies (the last two are kept)."""
    from index.doctor import rollback

    with handled():
        svc = service()
        if svc.settings.database_url is not None:
            raise fail(f"the index is in {svc.store.location}, which keeps no earlier index to go back to: "
                       "restore the database from its backups (point-in-time recovery)")
        done = rollback(svc.data_dir, svc.embedder.name)
        for folder, problem in done.skipped:
            err.print(f"[yellow]skipped[/yellow] {escape(folder.name)}: {escape(problem)}", markup=True, highlight=False)
        was = done.previous.name if done.previous else "a broken link"
        out.print(f"now serving {done.current.name} (was {was})", markup=False)
        audit(svc, "index rollback", was, f"now serving {done.current.name}")


@index_app.command("merge")
def index_merge(quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
    """Fold the small writes since the last build or merge into one base now (any write does it when due)."""
    with handled():
        svc = service()
        with progress_bar(not quiet) as report:
            manifest = svc.merge(progress=report)
        if manifest is None:
            out.print("nothing to merge: the index is one base already", markup=False)
            return
        out.print(f"merged: {manifest['documents']} sources, {manifest['paragraphs']} paragraphs in one base", markup=False)
        audit(svc, "index merge", "deltas", f"{manifest['paragraphs']} paragraphs in one base")


# --- ask -----------------------------------------------------------------------------------


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question, in quotes.")] = None,
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", min=1, max=50, help="Passages to retrieve.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
    file: Annotated[
        Optional[Path], typer.Option("--file", "-f", help="Ask every line of this file (one question per line; '-' for stdin).")
    ] = None,
    since: Annotated[Optional[str], typer.Option(help="Only sources dated on or after YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only sources dated on or before YYYY-MM-DD.")] = None,
) -> None:
    """Answer a question with numbered citations, or say the sources don't cover it.

    The question may be English, Ukrainian or Russian; a time it names ("in March 2022", "last week") is the dates searched unless --since/--until are given."""
    if (question is None) == (file is None):
        raise fail("give a QUESTION or --file, not both or neither", EXIT_USAGE)
    with handled():
        since_d, until_d = parse_day(since, "--since"), parse_day(until, "--until")
        if file is not None:
            questions = _questions(file)
        else:
            questions = [question]
        svc = service()
        for q in questions:
            if file is not None and as_json:
                # In batch mode a bad line is reported in its own JSON object, not fatal.
                from index.service import BadQuestion

                try:
                    answer = svc.ask(q, k, since=since_d, until=until_d)
                except BadQuestion as exc:
                    out.print(json.dumps({"question": q, "error": str(exc)}), markup=False)
                    continue
            else:
                answer = svc.ask(q, k, since=since_d, until=until_d)
            if as_json:
                out.print(json.dumps(answer.to_json(), ensure_ascii=False), markup=False)
            else:
                if len(questions) > 1:
                    out.print(f"\n[bold]Q: {escape(q)}[/bold]", markup=True)
                _render(answer)


def _questions(file: Path) -> list[str]:
    """The non-empty lines of ``file`` ('-': stdin), which must be UTF-8."""
    try:
        if str(file) == "-":
            lines = list(sys.stdin)
        else:
            with open(file, encoding="utf-8") as f:
                lines = list(f)
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise fail(f"{file}: not UTF-8 text (it holds the byte {byte:#04x}); save it as UTF-8", EXIT_USAGE) from None
    return [line.strip() for line in lines if line.strip()]


# --- stats and run -------------------------------------------------------------------------


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """What the index holds: counts, model and its runtime, date range, outlets, build time."""
    with handled():
        s = service().stats()
        if as_json:
            out.print(json.dumps(s, indent=2, ensure_ascii=False), markup=False)
            return
        date_range = " to ".join(s["date_range"]) if s.get("date_range") else "none"
        out.print(
            f"documents   {s['documents']}\nparagraphs  {s['paragraphs']}\ndates       {date_range}\n"
            f"outlets     {', '.join(s['outlets']) or 'none'}\nmodel       {s['model']} ({s['dimension']} dimensions)\n"
            f"runtime     {s['runtime'] or s['backend'] + ' (resolved when the model loads)'}\n"
            f"updated     {s['updated_at']}\nfolder      {s['index_folder']}",
            markup=False,
        )


@app.command()
def doctor(as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False) -> None:
    """Check the data dir (index link, every file's checksum, kept indexes, sources, state): exit 1 on a problem."""
    from index.doctor import examine

    with handled():
        svc = service()
        if svc.settings.database_url is not None:
            _doctor_database(svc, as_json)
        report = examine(svc.data_dir, svc.embedder.name)
    if as_json:
        out.print(json.dumps(report.to_json(), indent=2, ensure_ascii=False), markup=False)
    else:
        for finding in report.findings:
            out.print(finding.line(), markup=False)
        problems = sum(f.level == "problem" for f in report.findings)
        warnings = sum(f.level == "warning" for f in report.findings)
        out.print(f"{problems} problem(s), {warnings} warning(s) in {report.data_dir}", markup=False)
    raise typer.Exit(0 if report.healthy else EXIT_FAILED)


def _doctor_database(svc, as_json: bool) -> None:
    """``doctor`` for the index in PostgreSQL: reachable, an index of this model, its size, the kept copies of sources
    (the folder checks do not apply)."""
    from index.errors import CrisisError

    findings = []
    try:
        manifest = svc.snapshot().manifest
        findings.append({"level": "ok", "message": f"{manifest['documents']} documents, {manifest['paragraphs']} paragraphs, "
                                                   f"model {manifest.get('model')}, generation {manifest.get('generation', '?')}"})
        kept = svc.kept_counts()  # the copies rebuilds read, in the database too (index/store/postgres/kept.py)
        findings.append({"level": "ok", "message": f"{kept['file']} added source files and {kept['page']} fetched pages kept for rebuilds"})
    except CrisisError as exc:
        findings.append({"level": "problem", "message": str(exc)})
    healthy = all(f["level"] == "ok" for f in findings)
    if as_json:
        out.print(json.dumps({"store": svc.store.location, "healthy": healthy, "findings": findings}, indent=2), markup=False)
    else:
        for finding in findings:
            out.print(f"{finding['level']}: {svc.store.location}: {finding['message']}", markup=False)
    raise typer.Exit(0 if healthy else EXIT_FAILED)


@app.command()
def run(
    question: Annotated[
        Optional[str], typer.Option("--question", help="Without DISCORD_TOKEN: answer this instead of the sample question.")
    ] = None,
) -> None:
    """Build the index if missing, then start the Discord bot (DISCORD_TOKEN set) or answer locally."""
    with handled():
        svc = service()
        if not svc.has_index():
            out.print("No index yet: building it from the bundled corpus…", style="dim")
            with progress_bar() as report:
                _print_report(svc.build(progress=report))
        if settings().discord_token is not None:
            from bot.app import run_bot

            run_bot(svc, settings())
            return
        out.print("DISCORD_TOKEN is not set, so no Discord bot; answering locally.", style="dim")
        if question is None and sys.stdin.isatty():
            chat_command()
            return
        q = question or SAMPLE_QUESTION
        out.print(f"[bold]Q: {escape(q)}[/bold]", markup=True)
        _render(svc.ask(q))


app.command("chat")(chat_command)
app.command("eval")(eval_command)
app.command("import")(import_command)
app.command("insights")(insights_command)
app.command("migrate")(migrate_command)


def main() -> None:
    """The entry point: settings built once (a bad one is reported by the command, in one line), logging, the command."""
    try:
        config = load_settings()
    except typer.Exit:
        config = None
    logs.configure(config.log_level if config else "WARNING", config.log_format if config else "text",
                   text_format="%(levelname)s %(name)s: %(message)s")
    app(obj=config)


if __name__ == "__main__":
    main()
