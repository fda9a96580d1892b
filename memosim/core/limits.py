"""Limits: the bounds a receiver keeps on what remote peers make it hold.

Partial memos, the ids of delivered memos and the bytes they take are all
bounded here, so nothing a remote sends grows memory without bound
(docs/memoer.md, "Bounds"; docs/acked-delivery.md for the Sure ids).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """Bounds on what a receiver holds for memos that have not completed.

    expiry: tyme a partial memo may wait for its missing grams.
    max_memos / max_memos_per_source: partial memos held, in all / per source.
    max_bytes / max_bytes_per_source: bytes held for partial memos.
    done_window: completed memo ids remembered to drop duplicates.
    done_expiry: tyme a completed memo id is remembered (Sure memos too).
    sure_window: delivered Sure memo ids remembered per source.
    sure_sources: sources whose delivered Sure memo ids are remembered.
    """

    expiry: float = 30.0
    max_memos: int = 4096
    max_memos_per_source: int = 1024
    max_bytes: int = 64 * 2**20
    max_bytes_per_source: int = 16 * 2**20
    done_window: int = 16384
    done_expiry: float = 120.0
    sure_window: int = 8192
    sure_sources: int = 64
