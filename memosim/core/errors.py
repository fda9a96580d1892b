"""Errors a local caller can cause (never anything a remote peer sends).

A remote's bad input is dropped and counted (drops.py); these are raised to
the code that called the engine or the Memoer, with hio's names.
"""

from __future__ import annotations

__all__ = ["MemoerError", "MemoerVerifyError"]


class MemoerError(ValueError):
    """A local misuse: bad code, size, vid, memo type or length."""


class MemoerVerifyError(MemoerError):
    """A signature that does not verify, from verify() or pick(), as in hio."""
