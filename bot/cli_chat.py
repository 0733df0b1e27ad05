"""``crisisbot chat``: one conversation, on the console or from standard input.

Each question is read against the ones before it (``CrisisService.converse``,
index/conversation.py), so "What did Russia do in response?" after "When was the
Kerch bridge attacked?" searches for the response to that attack.  ``--json``
prints one JSON object per question, the schema ``ask --json`` prints plus
``searched`` (the question as resolved), so conversations can be evaluated.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli_support import EXIT_USAGE, err, fail, handled, out, render_answer, service


def chat_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question (ask --json's, plus \"searched\").")] = False,
) -> None:
    """Ask questions as one conversation: each is read against the earlier ones (the last CRISISBOT_CONVERSATION_TURNS).

    On a terminal: a prompt (empty line or Ctrl-D to leave).  Otherwise one question per line of standard input;
    a bad line is reported (with --json, in its own {"question", "error"} object) and the conversation goes on."""
    from index.conversation import Turn
    from index.service import BadQuestion

    with handled():
        svc = service()
        svc.snapshot()  # no index yet: one line and exit 1, before any question
        interactive = sys.stdin.isatty() and not as_json
        if interactive:
            out.print("Ask about the Russia-Ukraine war; a follow-up is read against the earlier questions. "
                      "Empty line or Ctrl-D to leave.", style="dim")
        turns: list[Turn] = []
        for question in _questions(interactive):
            try:
                answer, turn = svc.converse(question, turns)
            except BadQuestion as exc:
                if as_json:
                    out.print(json.dumps({"question": question, "error": str(exc)}, ensure_ascii=False), markup=False)
                else:
                    err.print(f"error: {exc}", markup=False)
                continue
            turns = [*turns, turn][-max(1, svc.settings.conversation_turns):]
            if as_json:
                out.print(json.dumps({**answer.to_json(), "searched": turn.searched}, ensure_ascii=False), markup=False)
                continue
            if not interactive:
                out.print(f"\n[bold]Q: {escape(question)}[/bold]", markup=True)
            if turn.searched != question:
                out.print(f"(read with the earlier questions: {turn.searched})", style="dim", markup=False)
            render_answer(answer)
            if interactive:
                out.print()


def _questions(interactive: bool) -> Iterator[str]:
    """The questions: prompted for on a terminal (until an empty line or Ctrl-D), else the non-empty lines of
    standard input, which must be UTF-8."""
    if interactive:
        while True:
            try:
                question = input("? ").strip()
            except EOFError:
                return
            if not question:
                return
            yield question
    try:
        for line in sys.stdin:
            if line.strip():
                yield line.strip()
    except UnicodeDecodeError as exc:
        raise fail(f"standard input is not UTF-8 text (it holds the byte {exc.object[exc.start]:#04x})", EXIT_USAGE) from None
