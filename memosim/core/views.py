"""hio's dicts of held memos (rxgs, sources, counts, vids) as read-only views.

hio keeps four dicts keyed by memo id; memosim keeps one record per memo
(reassembly.py) and shows each dict as a view of one field, so code that
reads them as in hio keeps working while a gram costs one look-up, not five.
A memo that fits one gram is held as a `Whole` instead of a partial record;
the views show it exactly as hio's dicts would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

__all__ = ["HeldView", "Whole", "new_whole"]


class Whole(NamedTuple):
    """A one-gram memo accepted and waiting to be fused."""

    src: object
    vid: str | None
    code: str
    body: bytes


new_whole = tuple.__new__  # new_whole(Whole, fields) builds one in C: one per memo, hot path

# how each view reads a one-gram memo, by the partial record field it shows
_WHOLE_FIELDS: dict[str, Callable[[Whole], object]] = {
    "grams": lambda whole: {0: whole.body},
    "src": lambda whole: whole.src,
    "count": lambda whole: 1,
    "vid": lambda whole: whole.vid,
}


class HeldView(Mapping[str, Any]):
    """Read-only dict view of one field of the memos held (hio's dicts).

    partials: mid -> partial record (with .count and the field); wholes:
    mid -> Whole. counted: show only memos whose zeroth gram has arrived.
    """

    def __init__(
        self, partials: Mapping[str, Any], wholes: Mapping[str, Whole], field: str, counted: bool
    ) -> None:
        self._partials = partials
        self._wholes = wholes
        self._field = field
        self._whole_field = _WHOLE_FIELDS[field]
        self._counted = counted

    def __getitem__(self, mid: str) -> Any:
        partial = self._partials.get(mid)
        if partial is None:
            return self._whole_field(self._wholes[mid])
        if self._counted and partial.count is None:
            raise KeyError(mid)
        return getattr(partial, self._field)

    def __iter__(self) -> Iterator[str]:
        if not self._counted:
            yield from self._partials
        else:
            yield from (mid for mid, p in self._partials.items() if p.count is not None)
        yield from self._wholes

    def __len__(self) -> int:
        if not self._counted:
            held = len(self._partials)
        else:
            held = sum(1 for p in self._partials.values() if p.count is not None)
        return held + len(self._wholes)

    def __contains__(self, mid: object) -> bool:
        partial = self._partials.get(mid)  # type: ignore[call-overload]
        if partial is None:
            return mid in self._wholes
        return not self._counted or partial.count is not None

    def __repr__(self) -> str:
        return repr(dict(self))
