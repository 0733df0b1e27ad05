"""Child process for the crash tests: load the model, say READY, then write to the index.

    python -m tests.crash_worker DATA_DIR build|add PATH|remove ID...|merge|import PATH BATCH_SIZE|poll
    python -m tests.crash_worker DATA_DIR state     (audit and feedback rows, each acknowledged on stdout)
"""

import sys
from pathlib import Path

from index.config import Settings
from index.service import CrisisService


def write_state(data_dir: Path) -> None:
    """Write audit and feedback rows as fast as possible, printing the number of each once it is stored."""
    from bot.state import BotState, StoredCitation

    state = BotState(data_dir / "state.sqlite")
    print("READY", flush=True)
    citation = StoredCitation(1, "t", None, None, "s", "text", 1)
    for n in range(1_000_000):
        state.audit("crash-test", "sources add", f"row {n}", "ok")
        answer_id = state.save_answer(f"question {n}", [citation])
        state.vote(answer_id, n, 1)
        print(n, flush=True)


def main() -> None:
    data_dir, op, *args = sys.argv[1:]
    if op == "state":
        write_state(Path(data_dir))
        return
    # poll: every feed subscription of the data dir, served on loopback by the test
    service = CrisisService(Settings(_env_file=None, data_dir=Path(data_dir), allow_private_urls=op == "poll"))
    service.warm()
    print("READY", flush=True)
    if op == "build":
        service.build()
    elif op == "add":
        service.add_paths([Path(a) for a in args])
    elif op == "remove":
        service.remove_sources(args)
    elif op == "merge":
        assert service.merge() is not None
    elif op == "import":
        from index.importing import ImportOptions

        service.import_archives([Path(args[0])], ImportOptions(batch_size=int(args[1])))
    elif op == "poll":
        import asyncio

        asyncio.run(service.poll_feeds(force=True))
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
