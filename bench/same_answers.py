"""Every answer to a QA set, one JSON line per question, to compare two versions of the code for equality.

    CRISISBOT_DATA_DIR=/tmp/war .venv/bin/python bench/same_answers.py tests/eval/war/dev.jsonl > before.jsonl
    (change the code)
    CRISISBOT_DATA_DIR=/tmp/war .venv/bin/python bench/same_answers.py tests/eval/war/dev.jsonl > after.jsonl
    diff before.jsonl after.jsonl

Each question is asked as ``crisisbot eval`` asks it (index/eval.py: conversations turn by turn, the
answer composed); a line holds the question, whether it abstained and why, the note, the answer's text,
its citations, and the passages (ids, scores to 6 places, texts' hashes) in order.  A change meant only
to make answering faster must leave the output byte for byte the same.  The written-out questions of
conversations are asked too (``full``), as eval does.

``--int8-question`` embeds each question with the int8 export (``onnx-int8``) while the index keeps its
fp32 vectors: what a cheaper question pass would answer; ``bench/answer_agreement.py`` compares the two.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index import eval as evaluation  # noqa: E402
from index.config import Settings  # noqa: E402
from index.service import CrisisService  # noqa: E402


def line(question: evaluation.Question, answer) -> str:
    passages = [[p.id, round(p.score, 6), round(p.dense, 6), round(p.lexical, 6), round(p.coverage, 6),
                 hashlib.sha256(p.paragraph.text.encode()).hexdigest()[:12]] for p in answer.passages]
    return json.dumps({"q": question.q, "turns": list(question.turns), "abstained": answer.abstained, "reason": answer.reason,
                       "note": answer.note, "answer": answer.answer, "since": str(answer.since), "until": str(answer.until),
                       "citations": [[c.n, c.paragraph_id] for c in answer.citations], "passages": passages}, ensure_ascii=False)


def main() -> None:
    paths = [a for a in sys.argv[1:] if a != "--int8-question"]
    service = CrisisService(Settings())
    if "--int8-question" in sys.argv[1:]:
        from index.embed import Embedder

        int8 = Embedder(service.embedder.model_source.source, backend="onnx-int8", onnx_cache=service.embedder.onnx_cache)
        service.embedder.encode_one = int8.encode_one  # the question only: answer sentences keep their stored vectors
    for path in paths:
        questions = evaluation.load_questions(Path(path))
        for question in [*questions, *evaluation.written_out(questions)]:
            answer, _ = evaluation._ask(service, question, "final", True)
            print(line(question, answer), flush=True)


if __name__ == "__main__":
    main()
