"""A conversation: earlier turns that a follow-up question is read against.

``Turn`` is what is kept of one question and its answer (in state.sqlite for a
Discord thread, in memory for ``crisisbot chat``); ``CrisisService.converse``
answers a question given the turns before it.  Resolving a follow-up ("What did
Russia do in response?") with what the earlier turns asked about and cited is
this module's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Turn:
    question: str  # as the member asked it
    searched: str  # the question as resolved and searched (== question when it started fresh)
    cited: tuple[int, ...] = ()  # paragraph ids the answer cited, in order

    def to_json(self) -> dict:
        return {**asdict(self), "cited": list(self.cited)}

    @classmethod
    def from_json(cls, data: dict) -> Turn:
        return cls(str(data["question"]), str(data.get("searched") or data["question"]), tuple(int(i) for i in data.get("cited", ())))


def resolve(question: str, turns: Sequence[Turn]) -> str:
    """The question to search: ``question`` itself for now (context resolution to come)."""
    return question
