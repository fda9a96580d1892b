"""Type names the protocol core shares, so signatures say what flows where.

An address is whatever the transport reports a datagram came from: a
(host, port) tuple on UDP, a name on the echo mock. The core only compares
and hashes it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import TypeAlias

Address: TypeAlias = Hashable
Memo: TypeAlias = str | bytes
Outgoing: TypeAlias = tuple[bytes, Address]  # a datagram and where it goes
Delivery: TypeAlias = tuple[Memo, Address, "str | None"]  # memo, source, signer's vid
Failure: TypeAlias = tuple[Memo, Address, "str | None", str]  # memo, dst, vid, reason
Outbox: TypeAlias = deque[Outgoing]
Deliveries: TypeAlias = deque[Delivery]
Failures: TypeAlias = deque[Failure]
