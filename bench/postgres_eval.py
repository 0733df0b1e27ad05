"""``crisisbot eval`` on the local store and on the Postgres store, every QA set, same corpus and questions.

    .venv/bin/python bench/postgres_eval.py [--database-url URL]

For each set: its corpus built into a temporary data dir (the local store) and into a new database
(the Postgres store), then the same questions asked of both (``index.eval.compare``, mode ``final``,
what ``crisisbot eval`` reports).  The same as running, per set,
``crisisbot eval QA --source CORPUS`` and, with ``CRISISBOT_DATABASE_URL`` set,
``crisisbot index build --source CORPUS`` then ``crisisbot eval QA``.  Without ``--database-url`` a
private PostgreSQL (pgserver) is started in a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pg  # noqa: E402
from index import eval as evaluation  # noqa: E402
from index.config import BUNDLED_CORPUS, Settings  # noqa: E402
from index.embed import Embedder  # noqa: E402
from index.service import CrisisService  # noqa: E402

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"
SETS = [  # name, corpus, questions
    ("bundled", BUNDLED_CORPUS, EVAL / "dev.jsonl"),
    ("war dev", EVAL / "war" / "corpus", EVAL / "war" / "dev.jsonl"),
    ("war holdout", EVAL / "war" / "corpus", EVAL / "war" / "holdout.jsonl"),
    ("corpus2", EVAL / "corpus2" / "articles.jsonl", EVAL / "corpus2" / "qa.jsonl"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a server to use (databases crisisbot_eval_N are made on it)")
    args = parser.parse_args()
    with pg.server(args.database_url, "crisisbot-pgeval-") as (admin, work):
        embedder = Embedder()
        embedder.load()
        print("| set | questions | MRR local | MRR postgres | difference | R@1 local | R@1 postgres |\n|---|---|---|---|---|---|---|")
        for n, (name, corpus, qa) in enumerate(SETS):
            url = pg.fresh_database(admin, f"crisisbot_eval_{n}")
            questions = evaluation.load_questions(qa)
            reports = []
            for settings in (Settings(_env_file=None, data_dir=work / f"local-{n}"),
                             Settings(_env_file=None, data_dir=work / f"pg-{n}", database_url=url)):
                service = CrisisService(settings, embedder=embedder)
                service.build([corpus])
                reports.append(evaluation.compare(service, questions, ["final"])[0])
                if hasattr(service.store, "close"):
                    service.store.close()
            local, postgres = reports
            print(f"| {name} | {local.questions} | {local.mrr:.4f} | {postgres.mrr:.4f} | {postgres.mrr - local.mrr:+.4f} | "
                  f"{local.recall[1]:.3f} | {postgres.recall[1]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
