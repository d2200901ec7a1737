"""``SubprocessRunner``: ``/bin/sh -c`` in a throw-away directory and process group."""

from __future__ import annotations

import contextlib
import os
import pwd
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from conman_adapters.runner.environment import DEFAULT_PATH, build_environment, secret_masks
from conman_adapters.runner.output import OutputCollector, Stream
from conman_domain.errors import Internal, Validation
from conman_domain.ports.runner import (
    CommandEnv,
    CommandResult,
    CommandRunnerPort,
    LogSink,
    Materializer,
)

__all__ = ["SubprocessRunner"]

_READ_CHUNK = 65536
# After the shell exits and its group is killed, how long to wait for pipe EOF from a
# process that escaped the group (setsid) before giving up on its output.
_DRAIN_SECONDS = 1.0
# The backstop fires this long after the worker itself would have killed the group.
_BACKSTOP_MARGIN_SECONDS = 2.0


class SubprocessRunner(CommandRunnerPort):
    """Runs commands as the worker's OS user, or as ``sandbox_user`` via ``setpriv``.

    ``kill_grace_seconds`` is the delay between SIGTERM and SIGKILL (5 s in production).
    The group leader is coreutils ``timeout``, a backstop that SIGKILLs the whole group
    shortly after the deadline even when this worker process died meanwhile.
    """

    def __init__(
        self,
        *,
        sandbox_user: str | None = None,
        kill_grace_seconds: float = 5.0,
        poll_interval: float = 0.05,
        path: str = DEFAULT_PATH,
        temp_root: str | None = None,
    ) -> None:
        self._user: pwd.struct_passwd | None = None
        if sandbox_user:
            try:
                self._user = pwd.getpwnam(sandbox_user)
            except KeyError:
                raise Validation(f"CONMAN_SANDBOX_USER names no OS user: {sandbox_user}") from None
        self._grace = kill_grace_seconds
        self._poll = poll_interval
        self._path = path
        self._temp_root = temp_root
        # coreutils ``timeout`` as the group leader: if this worker dies (kill -9), the
        # group is still SIGKILLed once the command's time is up.
        self._backstop = shutil.which("timeout")

    def run(
        self,
        command: str,
        *,
        materialize: Materializer,
        env: CommandEnv,
        timeout_seconds: float,
        log: LogSink | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> CommandResult:
        started = time.monotonic()
        try:
            root = Path(tempfile.mkdtemp(prefix="conman-run-", dir=self._temp_root))
        except OSError as exc:
            raise Internal(f"cannot create the command directory: {exc.strerror}") from exc
        try:
            tree, home = root / "tree", root / "home"
            with _os_errors("prepare the command directory"):
                tree.mkdir()
                home.mkdir()
            materialize(tree)
            process_env = build_environment(env, home=str(home), path=self._path)
            with _os_errors("hand the command directory to CONMAN_SANDBOX_USER"):
                self._hand_over(root, tree, home)
            collector = OutputCollector(secret_masks(env), log)
            process = self._spawn(command, tree, process_env, timeout_seconds)
            supervisor = _Supervisor(process, collector, self._grace, self._poll)
            supervisor.watch(started + timeout_seconds, should_cancel)
            return CommandResult(
                exit_code=process.returncode,
                timed_out=supervisor.timed_out,
                canceled=supervisor.canceled,
                duration_ms=round((time.monotonic() - started) * 1000),
                output=collector.lines,
                truncated=collector.truncated,
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _hand_over(self, root: Path, tree: Path, home: Path) -> None:
        """Give the sandbox user the tree and home; the parent stays root-owned."""
        if self._user is None:
            return
        root.chmod(0o711)
        uid, gid = self._user.pw_uid, self._user.pw_gid
        for top in (tree, home):
            os.chown(top, uid, gid)
            for dirpath, dirnames, filenames in os.walk(top):
                for name in dirnames + filenames:
                    os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)

    def _spawn(
        self, command: str, cwd: Path, env: dict[str, str], timeout_seconds: float
    ) -> subprocess.Popen[bytes]:
        argv = ["/bin/sh", "-c", command]
        if self._backstop is not None:
            limit = timeout_seconds + self._grace + _BACKSTOP_MARGIN_SECONDS
            argv = [self._backstop, "-s", "KILL", f"{limit:.3f}s", *argv]
        if self._user is not None:
            argv = [
                "setpriv",
                f"--reuid={self._user.pw_uid}",
                f"--regid={self._user.pw_gid}",
                "--clear-groups",
                "--",
                *argv,
            ]
        try:
            return subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise Internal(f"could not start command: {exc.strerror}") from exc


@contextlib.contextmanager
def _os_errors(what: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise Internal(f"cannot {what}: {exc.strerror}") from exc


class _Supervisor:
    """Pumps output, enforces the deadline and cancel, and leaves no process behind."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        collector: OutputCollector,
        grace: float,
        poll: float,
    ) -> None:
        self._process = process
        self._collector = collector
        self._grace = grace
        self._poll = poll
        self.timed_out = False
        self.canceled = False
        self._kill_at: float | None = None

    def watch(self, deadline: float, should_cancel: Callable[[], bool] | None) -> None:
        selector = selectors.DefaultSelector()
        streams: list[tuple[IO[bytes] | None, Stream]] = [
            (self._process.stdout, "stdout"),
            (self._process.stderr, "stderr"),
        ]
        for pipe, name in streams:
            if pipe is not None:
                os.set_blocking(pipe.fileno(), False)
                selector.register(pipe, selectors.EVENT_READ, name)
        try:
            self._loop(selector, deadline, should_cancel)
        finally:
            for key in list(selector.get_map().values()):
                self._collector.close(key.data)
                selector.unregister(key.fileobj)
            selector.close()
            self._signal_group(signal.SIGKILL)
            self._process.wait()
            for pipe, _ in streams:
                if pipe is not None:
                    pipe.close()

    def _loop(
        self,
        selector: selectors.BaseSelector,
        deadline: float,
        should_cancel: Callable[[], bool] | None,
    ) -> None:
        drain_until: float | None = None
        while True:
            if selector.get_map():
                self._pump(selector)
            else:
                time.sleep(self._poll)
            now = time.monotonic()
            if drain_until is None and self._leader_exited():
                # Anything still in the group is a straggler of a finished command.
                self._signal_group(signal.SIGKILL)
                drain_until = now + _DRAIN_SECONDS
            if drain_until is not None:
                if now >= drain_until or not selector.get_map():
                    return
                continue
            if self._kill_at is None:
                if now >= deadline:
                    self.timed_out = True
                    self._terminate(now)
                elif should_cancel is not None and should_cancel():
                    self.canceled = True
                    self._terminate(now)
            elif now >= self._kill_at:
                self._signal_group(signal.SIGKILL)

    def _pump(self, selector: selectors.BaseSelector) -> None:
        for key, _ in selector.select(timeout=self._poll):
            pipe = key.fileobj
            assert not isinstance(pipe, int)
            try:
                chunk = os.read(pipe.fileno(), _READ_CHUNK)
            except BlockingIOError:
                continue
            if chunk:
                self._collector.feed(key.data, chunk)
            else:
                self._collector.close(key.data)
                selector.unregister(pipe)

    def _leader_exited(self) -> bool:
        """True once the shell exited; it stays a zombie (not reaped) so the group id
        cannot be reused before the stragglers are killed."""
        if self._process.returncode is not None:
            return True
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        return os.waitid(os.P_PID, self._process.pid, flags) is not None

    def _terminate(self, now: float) -> None:
        self._signal_group(signal.SIGTERM)
        self._kill_at = now + self._grace

    def _signal_group(self, signum: signal.Signals) -> None:
        if self._process.returncode is not None:
            return  # reaped: the group id may belong to someone else by now
        with contextlib.suppress(ProcessLookupError):  # every member already exited
            os.killpg(self._process.pid, signum)
