"""The real clock and identifier generator (``ClockPort``, ``IdPort``)."""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime

from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort

__all__ = ["SystemClock", "SystemIds"]


class SystemClock(ClockPort):
    """Wall-clock time in UTC that never goes backwards within one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = datetime.fromtimestamp(0, UTC)

    def now(self) -> datetime:
        current = datetime.now(UTC)
        with self._lock:
            # A wall-clock step backwards (NTP) must not reorder events we record.
            current = max(current, self._last)
            self._last = current
        return current

    def monotonic(self) -> float:
        return time.monotonic()


class SystemIds(IdPort):
    """ObjectIds, UUIDv7 request ids and CSPRNG tokens.

    ObjectIds follow MongoDB's layout: 4-byte big-endian seconds, 5 random bytes
    chosen once per process (re-chosen after ``fork``), 3-byte counter starting at a
    random value. They are unique across processes and sort by creation second.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._process_random = b""
        self._counter = 0
        self._uuid_last_ms = -1
        self._uuid_seq = 0

    def _reseed_if_forked(self) -> None:
        pid = os.getpid()
        if pid != self._pid:
            self._pid = pid
            self._process_random = secrets.token_bytes(5)
            self._counter = secrets.randbelow(1 << 24)

    def new_id(self) -> str:
        seconds = int(time.time()) & 0xFFFFFFFF
        with self._lock:
            self._reseed_if_forked()
            self._counter = (self._counter + 1) & 0xFFFFFF
            counter = self._counter
            process_random = self._process_random
        raw = seconds.to_bytes(4, "big") + process_random + counter.to_bytes(3, "big")
        return raw.hex()

    def request_id(self) -> str:
        # RFC 9562 UUIDv7: 48-bit Unix ms, version 7, 12-bit sequence (monotonic
        # within a millisecond), variant 10, 62 random bits.
        ms = time.time_ns() // 1_000_000
        with self._lock:
            if ms <= self._uuid_last_ms:
                ms = self._uuid_last_ms
                self._uuid_seq += 1
                if self._uuid_seq > 0xFFF:
                    ms += 1
                    self._uuid_seq = 0
            else:
                self._uuid_seq = secrets.randbelow(0x800)
            self._uuid_last_ms = ms
            seq = self._uuid_seq
        value = (ms & 0xFFFFFFFFFFFF) << 80
        value |= 0x7 << 76
        value |= seq << 64
        value |= 0b10 << 62
        value |= secrets.randbits(62)
        return str(uuid.UUID(int=value))

    def token(self, nbytes: int = 32) -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).rstrip(b"=").decode("ascii")

    def hex_token(self, nbytes: int = 16) -> str:
        return secrets.token_hex(nbytes)

    def choice(self, items: list[str]) -> str:
        if not items:
            raise ValueError("choice() needs at least one item")
        return secrets.choice(items)
