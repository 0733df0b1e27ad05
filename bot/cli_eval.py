"""``crisisbot eval``: measure retrieval and abstention on a QA set (see ``index/eval.py``)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli_support import EXIT_USAGE, fail, handled, out, service


def eval_command(
    qa_file: Annotated[Path, typer.Argument(
        help="QA set, JSON Lines: {q, gold | gold_ids | answerable: false}; a conversation line has turns: [...] instead of q.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    compare: Annotated[bool, typer.Option("--compare", help="Every retrieval mode side by side, as a markdown table.")] = False,
    mode: Annotated[str, typer.Option(help="Retrieval mode when not comparing: dense, bm25, hybrid or final.")] = "final",
    source: Annotated[
        list[Path] | None,
        typer.Option("--source", "-s", help="Evaluate on a temporary index of this corpus instead of the configured one; repeat for more."),
    ] = None,
) -> None:
    """Score answers on a QA set: Recall@1/3/5, MRR, abstention, whether the first sentence cites a gold passage
    and quotes the gold text, states the gold date, quotes a confusable neighbour, or alters the source's words;
    overall and per kind of question.

    A conversation is asked turn by turn, each read against the ones before it, and its last turn is scored;
    its "full" question (the context written out) is scored alone too, as the "written out" figures."""
    from index import eval as evaluation
    from index.search import MODES

    if mode not in MODES:
        raise fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}", EXIT_USAGE)
    with handled(), tempfile.TemporaryDirectory(prefix="crisisbot-eval-") as tmp:
        questions = evaluation.load_questions(qa_file)  # BadQASet: one line, exit 2 (handled)
        svc = service()
        if source:
            from index.service import CrisisService

            # Always a temporary local index: never a rebuild of the configured Postgres corpus (CRISISBOT_DATABASE_URL).
            temporary = {"data_dir": Path(tmp) / "data", "database_url": None}
            svc = CrisisService(svc.settings.model_copy(update=temporary), embedder=svc.embedder)
            svc.build(source)
        svc.warm()
        # With --source, cited sentences are checked word for word against the files given.
        originals = evaluation.original_texts(source) if source else None
        reports = evaluation.compare(svc, questions, MODES if compare else [mode], originals=originals)
        if as_json:
            out.print(json.dumps([r.to_json() for r in reports], indent=2))
            return
        if compare:
            out.print(evaluation.markdown_table(reports))
        for report in reports:
            _print_report(report, verbose=not compare)
        final = reports[-1]
        if final.by_kind:
            out.print(f"\nper kind of question ({final.mode}):")
            out.print(evaluation.kind_table(final), markup=False)


def _print_report(report, *, verbose: bool) -> None:
    if verbose:
        out.print(
            f"mode {report.mode}: {report.questions} questions ({report.answerable} answerable, {report.unanswerable} off-topic)\n"
            f"Recall@1 {report.recall[1]:.3f}  Recall@3 {report.recall[3]:.3f}  Recall@5 {report.recall[5]:.3f}  MRR {report.mrr:.3f}\n"
            f"abstention precision {report.abstention_precision:.3f}  recall {report.abstention_recall:.3f}  "
            f"answer rate {report.answer_rate:.3f}  p50 {report.took_ms_p50:.0f} ms"
        )
        alone = report.written_out
        if alone is not None:
            out.print(
                f"the last questions written out in full ({alone.questions}): Recall@1 {alone.recall[1]:.3f}  "
                f"Recall@3 {alone.recall[3]:.3f}  MRR {alone.mrr:.3f}; last turn minus written out, Recall@3 "
                f"{report.recall[3] - alone.recall[3]:+.3f}"
            )
    if report.misses:
        out.print(f"misses ({report.mode}):")
        for miss in report.misses:
            kind = f"[{miss.kind}] " if miss.kind else ""
            searched = f" (searched: {miss.searched})" if miss.searched else ""
            out.print(f"  - {escape(kind)}{escape(miss.problem)}: {escape(miss.question)}{escape(searched)}")
