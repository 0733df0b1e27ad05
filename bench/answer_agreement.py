"""How far two outputs of bench/same_answers.py agree, scores aside: for a change that may move scores.

    .venv/bin/python bench/answer_agreement.py before.jsonl after.jsonl

Printed: the questions, and the share of them with the same passages in the same order, the same
top 5 passages (as a set), the same decision (answered or abstained), the same answer text and
the same citations; then the first questions that differ.  A change is answer-preserving only when
every share is 1.0 (``diff`` of the two files then differs in scores alone, if at all).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CHECKS = {
    "same passages, same order": lambda a: [p[0] for p in a["passages"]],
    "same top 5 (set)": lambda a: sorted(p[0] for p in a["passages"][:5]),
    "same decision": lambda a: a["abstained"],
    "same answer text": lambda a: a["answer"],
    "same citations": lambda a: a["citations"],
}


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: answer_agreement.py before.jsonl after.jsonl")
    before, after = ([json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()] for path in sys.argv[1:])
    if [a["q"] for a in before] != [a["q"] for a in after]:
        sys.exit("the two files hold different questions")
    print(f"{len(before)} questions")
    for name, key in CHECKS.items():
        same = sum(key(a) == key(b) for a, b in zip(before, after))
        print(f"{name}: {same / len(before):.3f} ({same}/{len(before)})")
    differ = [a["q"] for a, b in zip(before, after) if any(key(a) != key(b) for key in CHECKS.values())]
    for question in differ[:5]:
        print(f"differs: {question}")


if __name__ == "__main__":
    main()
