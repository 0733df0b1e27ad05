"""Re-fetching URL sources and re-indexing only the pages whose text changed."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.errors import FetchError
from index.fetch import FetchPolicy, fetch_document

if TYPE_CHECKING:  # the service calls this module (CrisisService.refresh_urls)
    from index.service import CrisisService

log = logging.getLogger(__name__)


@dataclass
class RefreshReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)  # titles re-indexed
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)


async def refresh_url_sources(service: CrisisService, policy: FetchPolicy | None = None) -> RefreshReport:
    """Fetch every URL source again; a page whose extracted text changed replaces the old one.

    ``policy`` defaults to the service's (the configured limits).
    """
    policy = policy or service.fetch_policy
    report = RefreshReport()
    for source in service.url_sources():
        report.checked += 1
        try:
            doc = await fetch_document(source["url"], policy, min_chars=service.settings.min_paragraph_chars)
        except FetchError as exc:
            log.warning("refresh of %s failed: %s", source["url"], exc)
            report.failed.append((source["url"], str(exc)))
            continue
        if doc.meta["content_hash"] == source["content_hash"]:
            continue
        await asyncio.to_thread(service.add_fetched, doc)
        report.changed.append(doc.title)
    return report
