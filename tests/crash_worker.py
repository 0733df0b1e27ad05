"""Child process for the crash tests: load the model, say READY, then write to the index.

    python -m tests.crash_worker DATA_DIR build|add PATH|remove ID...
"""

import sys
from pathlib import Path

from index.config import Settings
from index.service import CrisisService


def main() -> None:
    data_dir, op, *args = sys.argv[1:]
    service = CrisisService(Settings(_env_file=None, data_dir=Path(data_dir)))
    service.warm()
    print("READY", flush=True)
    if op == "build":
        service.build()
    elif op == "add":
        service.add_paths([Path(a) for a in args])
    elif op == "remove":
        service.remove_sources(args)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
