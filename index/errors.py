"""Errors the core raises for a user to read: one base class, each carrying its message.

Front ends catch ``CrisisError`` at their edge: the CLI prints one line and exits
with ``exit_code`` (1: the operation failed, 2: the input was bad), the bot answers
with a short private reply.  Anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2


class CrisisError(Exception):
    """A problem a user or operator can act on; ``str(error)`` is the message to show."""

    exit_code = EXIT_FAILED


# --- bad input: the user can fix the request ----------------------------------------------


class BadInput(CrisisError):
    """The request itself cannot be served as given."""

    exit_code = EXIT_BAD_INPUT


class BadQuestion(BadInput):
    """The question cannot be asked as given (empty, too long)."""


class BadDate(BadInput):
    """A date option that is not a date."""


class BadQASet(BadInput):
    """A QA file for ``crisisbot eval`` that cannot be read."""


# --- the index ------------------------------------------------------------------------------


class IndexProblem(CrisisError):
    """The index cannot serve or take this request."""


class NoIndex(IndexProblem):
    """No index has been built yet."""

    @classmethod
    def at(cls, location: object) -> NoIndex:
        return cls(f"no index in {location} yet; build one with `crisisbot index build`")


class IndexMismatch(IndexProblem):
    """The index was built with another model or format version."""


class IndexDamaged(IndexProblem):
    """A file of the published index is missing, truncated or altered (checksum mismatch)."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path


class WriteInProgress(IndexProblem):
    """Another process or thread is writing the index."""


class AlreadyRunning(IndexProblem):
    """A background re-index is already running in this process (``job`` is the running one)."""

    def __init__(self, message: str, job: object = None):
        super().__init__(message)
        self.job = job


class NothingToIndex(IndexProblem):
    """A build or add found no usable document, or a remove names no indexed source."""


# --- sources and the model ------------------------------------------------------------------


class MalformedSource(CrisisError):
    """A source file or page whose content cannot be used."""


class FetchError(CrisisError):
    """A page that cannot be added, with a reason fit to show a moderator; ``status`` is the HTTP
    status when the server answered with an error (404, 410, ...), else None.  ``transient``: a
    timeout, a failed connection or a server error (429, 5xx), worth trying again later."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient or (status is not None and (status == 429 or status >= 500))


class ModelUnavailable(CrisisError):
    """The embedding model cannot be loaded."""
