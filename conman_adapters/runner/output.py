"""Capture of a command's output: line splitting, masking, capping (§11.2 step 4)."""

from __future__ import annotations

from typing import Literal

from conman_domain.ports.runner import MAX_OUTPUT_LINES, LogSink, OutputLine

__all__ = ["MAX_LINE_BYTES", "OutputCollector"]

MAX_LINE_BYTES = 64 * 1024
"""A longer line is cut into pieces of this size, so memory stays bounded."""

Stream = Literal["stdout", "stderr"]
_LEVELS: dict[Stream, str] = {"stdout": "info", "stderr": "warn"}


class OutputCollector:
    """Splits byte chunks of both streams into masked lines and keeps the first ones.

    After ``max_lines`` lines one more line, "output truncated", ends the capture.
    """

    def __init__(
        self, masks: list[str], log: LogSink | None, max_lines: int = MAX_OUTPUT_LINES
    ) -> None:
        self._masks = masks
        self._log = log
        self._max_lines = max_lines
        self._pending: dict[Stream, bytes] = {"stdout": b"", "stderr": b""}
        self.lines: list[OutputLine] = []
        self.truncated = False

    def feed(self, stream: Stream, chunk: bytes) -> None:
        """Add bytes read from ``stream``; complete lines are emitted at once."""
        buffer = self._pending[stream] + chunk
        *complete, rest = buffer.split(b"\n")
        for raw in complete:
            self._emit(stream, raw)
        while len(rest) > MAX_LINE_BYTES:
            self._emit(stream, rest[:MAX_LINE_BYTES])
            rest = rest[MAX_LINE_BYTES:]
        self._pending[stream] = rest

    def close(self, stream: Stream) -> None:
        """The stream ended: emit its unterminated last line, if any."""
        rest, self._pending[stream] = self._pending[stream], b""
        if rest:
            self._emit(stream, rest)

    def _emit(self, stream: Stream, raw: bytes) -> None:
        if self.truncated:
            return
        if len(self.lines) >= self._max_lines:
            self.truncated = True
            self.lines.append(OutputLine(stream="stderr", text="output truncated"))
            if self._log is not None:
                self._log("warn", "output truncated")
            return
        text = raw.decode("utf-8", errors="replace").removesuffix("\r")
        for mask in self._masks:
            text = text.replace(mask, "****")
        self.lines.append(OutputLine(stream=stream, text=text))
        if self._log is not None:
            self._log(_LEVELS[stream], text)
