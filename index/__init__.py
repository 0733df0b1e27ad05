"""crisisbot's retrieval core: ingestion, embeddings, indexes, search and cited answers.

Nothing in this package knows about Discord or the command line; both talk to
:class:`index.service.CrisisService`.
"""

from index.config import Settings
from index.service import BadQuestion, CrisisService

__all__ = ["BadQuestion", "CrisisService", "Settings"]
