"""Check a follow-up conversation set against the war corpus.

    python tests/eval/war/check_conversations.py tests/eval/war/conversations_holdout3.jsonl

Each line must be {"turns": [...], "full": "...", "gold_ids": [...], "gold": [...], "kind": "..."}
with at least two turns, gold ids that exist in the corpus, every gold phrase found verbatim
(case-insensitive) in the title or paragraphs of at least one of the line's gold documents, and
every gold document holding at least one of the phrases. Prints the counts per kind, per number of
turns and per corpus part; exits 1 (after listing every problem) if any line is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


def load_corpus(folder: Path) -> dict[str, dict]:
    documents: dict[str, dict] = {}
    for part in sorted(folder.glob("part-*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            if line.strip():
                document = json.loads(line)
                documents[document["id"]] = document
    return documents


def document_text(document: dict) -> str:
    return " ".join([document["title"], *document["paragraphs"]]).casefold()


def strings(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, str) and item.strip() for item in value
    )


def check_line(record: object, documents: dict[str, dict]) -> list[str]:
    if not isinstance(record, dict):
        return ["not a JSON object"]
    problems = []
    turns, gold_ids, gold = record.get("turns"), record.get("gold_ids"), record.get("gold")
    if not strings(turns) or len(turns) < 2:
        problems.append("turns must be a list of at least two questions")
    for field in ("full", "kind"):
        if not isinstance(record.get(field), str) or not record[field].strip():
            problems.append(f"{field} must be a non-empty string")
    if not strings(gold_ids):
        return problems + ["gold_ids must be a non-empty list of ids"]
    if not strings(gold):
        return problems + ["gold must be a non-empty list of phrases"]
    missing = [gold_id for gold_id in gold_ids if gold_id not in documents]
    if missing:
        return problems + [f"unknown gold ids {missing}"]
    texts = {gold_id: document_text(documents[gold_id]) for gold_id in gold_ids}
    for phrase in gold:
        if not any(phrase.casefold() in text for text in texts.values()):
            problems.append(f"gold phrase {phrase!r} is in none of {gold_ids}")
    for gold_id, text in texts.items():
        if not any(phrase.casefold() in text for phrase in gold):
            problems.append(f"{gold_id} holds none of the gold phrases")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="conversation .jsonl files")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of part-*.jsonl")
    arguments = parser.parse_args(argv)
    documents = load_corpus(arguments.corpus)
    failed = False
    for path in arguments.files:
        kinds, lengths, parts, seen = Counter(), Counter(), Counter(), set()
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problems = [f"not JSON: {error}"]
            else:
                problems = check_line(record, documents)
            if not problems:
                key = tuple(record["turns"])
                if key in seen:
                    problems.append("the same turns appear on an earlier line")
                seen.add(key)
            for problem in problems:
                print(f"{path}:{number}: {problem}")
            if problems:
                failed = True
                continue
            kinds[record["kind"]] += 1
            lengths[len(record["turns"])] += 1
            parts.update({gold_id.split("-")[0] for gold_id in record["gold_ids"]})
        print(f"{path}: {sum(kinds.values())} conversations")
        print("  kinds: " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
        print("  turns: " + ", ".join(f"{n} turns {count}" for n, count in sorted(lengths.items())))
        print("  parts: " + ", ".join(f"{part} {count}" for part, count in sorted(parts.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
