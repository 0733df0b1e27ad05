"""Errors the core raises for a user to read: one base class, each carrying its message.

Front ends catch ``CrisisError`` at their edge: the CLI prints one line and exits
non-zero, the bot answers with a short private reply.  Anything else is a bug and
is logged with its traceback.
"""

from __future__ import annotations


class CrisisError(Exception):
    """A problem a user or operator can act on; ``str(error)`` is the message to show."""


class IndexDamaged(CrisisError):
    """A file of the published index is missing, truncated or altered (checksum mismatch)."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path
