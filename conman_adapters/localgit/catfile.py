"""One long-lived ``git cat-file --batch-command`` per repository for all object reads."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import IO

from conman_adapters.localgit.proc import base_env
from conman_domain.errors import GitUnavailable

__all__ = ["CatFile", "ObjectHeader"]

ObjectHeader = tuple[str, str, int]


class CatFile:
    """Thread-safe reader: one request at a time; restarted once if the process died."""

    def __init__(self, git_dir: Path) -> None:
        self._git_dir = git_dir
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                ["git", f"--git-dir={self._git_dir}", "cat-file", "--batch-command"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=base_env(),
            )
        except OSError as exc:
            raise GitUnavailable(f"cannot start git cat-file: {exc}") from exc

    def _exchange(self, command: str, name: str) -> tuple[ObjectHeader | None, bytes | None]:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            proc = self._proc = self._start()
        stdin: IO[bytes] | None = proc.stdin
        stdout: IO[bytes] | None = proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(f"{command} {name}\n".encode())
        stdin.flush()
        line = stdout.readline()
        if not line.endswith(b"\n"):
            raise BrokenPipeError("cat-file closed its output")
        if line.endswith((b" missing\n", b" ambiguous\n")):
            return None, None
        parts = line.decode().rstrip("\n").split(" ")
        if len(parts) != 3 or len(parts[0]) != 40:
            raise ValueError(f"unexpected cat-file answer: {line[:200]!r}")
        header = (parts[0], parts[1], int(parts[2]))
        if command != "contents":
            return header, None
        data = stdout.read(header[2] + 1)
        if len(data) != header[2] + 1:
            raise BrokenPipeError("cat-file output truncated")
        return header, data[:-1]

    def _request(self, command: str, name: str) -> tuple[ObjectHeader | None, bytes | None]:
        if "\n" in name or not name:
            return None, None
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._exchange(command, name)
                except (OSError, ValueError) as exc:
                    self._kill()
                    if attempt == 2:
                        raise GitUnavailable(f"git cat-file failed: {exc}") from exc
        raise AssertionError("unreachable")

    def info(self, name: str) -> ObjectHeader | None:
        """``(oid, type, size)`` of the object ``name`` resolves to, or ``None``."""
        return self._request("info", name)[0]

    def contents(self, name: str) -> tuple[ObjectHeader, bytes] | None:
        """Header and content of the object ``name`` resolves to, or ``None``."""
        header, data = self._request("contents", name)
        if header is None or data is None:
            return None
        return header, data

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()

    def close(self) -> None:
        """Stop the process (it is restarted by the next request)."""
        with self._lock:
            self._kill()
