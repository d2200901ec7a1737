"""``LocalGit`` benchmark: each operation against the raw git commands doing the same work.

Run with ``python -m bench`` (or ``python -m bench bench.git_bench``). The repository has
10,000 files in 500 directories. "raw" is the plain git CLI sequence a naive
implementation would run for the same result, timed in the same process and run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from conman_adapters.localgit import LocalGit
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature

REPO = RepoRef(relative_path="bench/app", gl_repository="app-bench")
AUTHOR = Signature(name="Bench", email="bench@localhost", when=datetime(2026, 1, 1, tzinfo=UTC))
MAIN = "refs/heads/main"
DIRS, PER_DIR = 500, 20
ROUNDS = int(os.environ.get("CONMAN_BENCH_ROUNDS", "30"))

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}


def raw(
    git_dir: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    """One plain git invocation (what a naive implementation runs)."""
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        input=stdin,
        capture_output=True,
        check=True,
        env={**ENV, **(env or {})},
    )
    return done.stdout.decode(errors="replace").strip()


def timed(fn: Callable[[int], object], rounds: int = ROUNDS) -> list[float]:
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def seed(git: LocalGit) -> str:
    git.create_repository(REPO, default_branch="main")
    actions = [
        FileAction(
            action="create", path=f"d{d:03}/f{f:02}.yaml", content=f"key: {d}-{f}\n".encode()
        )
        for d in range(DIRS)
        for f in range(PER_DIR)
    ]
    return git.commit_files(
        REPO,
        ref=MAIN,
        parent=None,
        expected_old=ZERO_OID,
        actions=actions,
        message="seed",
        author=AUTHOR,
    )


def bench_all(
    git: LocalGit, git_dir: Path, tmp: Path
) -> list[tuple[str, list[float], list[float]]]:
    rows = []

    def ours_commit(i: int) -> None:
        head = git.resolve(REPO, MAIN)
        action = FileAction(action="update", path="d000/f00.yaml", content=f"v: {i}\n".encode())
        git.commit_files(
            REPO,
            ref=MAIN,
            parent=head,
            expected_old=head,
            actions=[action],
            message="c",
            author=AUTHOR,
        )

    def raw_commit(i: int) -> None:
        head = raw(git_dir, "rev-parse", MAIN)
        blob = raw(git_dir, "hash-object", "-w", "--stdin", stdin=f"r: {i}\n".encode())
        env = {"GIT_INDEX_FILE": str(tmp / "raw-index")}
        raw(git_dir, "read-tree", head, env=env)
        raw(git_dir, "update-index", "--cacheinfo", f"100644,{blob},d000/f01.yaml", env=env)
        tree = raw(git_dir, "write-tree", env=env)
        sha = raw(git_dir, "commit-tree", tree, "-p", head, "-m", "c")
        raw(git_dir, "update-ref", MAIN, sha, head)

    rows.append(("commit one file", timed(ours_commit), timed(raw_commit)))
    rows.append(
        (
            "read one file",
            timed(lambda i: git.read_blobs(REPO, MAIN, [f"d{i % DIRS:03}/f05.yaml"])),
            timed(lambda i: raw(git_dir, "cat-file", "-p", f"{MAIN}:d{i % DIRS:03}/f05.yaml")),
        )
    )
    rows.append(
        (
            "list 10k-file tree",
            timed(lambda i: git.list_tree(REPO, MAIN, recursive=True)),
            timed(lambda i: raw(git_dir, "ls-tree", "-r", "-t", "-l", "-z", MAIN)),
        )
    )
    old = git.resolve(REPO, MAIN)
    assert old is not None
    actions = [
        FileAction(
            action="update", path=f"d{d:03}/f03.yaml", content=f"changed: {d}\nmore: 1\n".encode()
        )
        for d in range(0, DIRS, 25)
    ]
    new = git.commit_files(
        REPO, ref=MAIN, parent=old, expected_old=old, actions=actions, message="d", author=AUTHOR
    )
    rows.append(
        (
            "diff two commits",
            timed(lambda i: git.diff(REPO, old, new)),
            timed(lambda i: raw(git_dir, "diff-tree", "-r", "-M", "--numstat", "-p", old, new)),
        )
    )
    # separate changesets for each side, so neither reuses objects the other wrote
    sources: dict[str, list[str]] = {"ours": [], "raw": []}
    for side, lines in (("ours", 0), ("raw", 1)):
        for k in range(10):
            ref = f"refs/heads/{side}-cs{k}"
            path = f"d{k * 7 + lines:03}/f09.yaml"
            act = FileAction(action="update", path=path, content=f"{side}: {k}\n".encode())
            sources[side].append(
                git.commit_files(
                    REPO,
                    ref=ref,
                    parent=new,
                    expected_old=ZERO_OID,
                    actions=[act],
                    message="cs",
                    author=AUTHOR,
                )
            )

    def ours_compose(i: int) -> None:
        ref = f"refs/conman/compose/o{i}"
        git.update_ref(REPO, ref, new_sha=new, expected_old=ZERO_OID)
        for src in sources["ours"]:
            out = git.merge_to_ref(
                REPO, source_sha=src, first_parent=ref, target_ref=ref, message="m", author=AUTHOR
            )
            assert out.sha is not None

    def raw_compose(i: int) -> None:
        ref = f"refs/conman/compose/r{i}"
        raw(git_dir, "update-ref", ref, new, ZERO_OID)
        head = new
        for src in sources["raw"]:
            tree = raw(git_dir, "merge-tree", "--write-tree", head, src).splitlines()[0]
            sha = raw(git_dir, "commit-tree", tree, "-p", head, "-p", src, "-m", "m")
            raw(git_dir, "update-ref", ref, sha, head)
            head = sha

    rows.append(("compose 10 changesets", timed(ours_compose, 10), timed(raw_compose, 10)))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="conman-git-bench-") as tmp_name:
        tmp = Path(tmp_name)
        git = LocalGit(tmp / "repos")
        try:
            start = time.perf_counter()
            seed(git)
            took = time.perf_counter() - start
            print(f"seeded {DIRS * PER_DIR} files in {DIRS} dirs in {took:.2f}s")
            rows = bench_all(git, tmp / "repos" / f"{REPO.relative_path}.git", tmp)
        finally:
            git.close()
    header = (
        f"{'operation':<24}{'median ms':>11}{'p95 ms':>9}{'raw med':>9}{'raw p95':>9}{'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, ours, base in rows:
        med, raw_med = statistics.median(ours), statistics.median(base)
        figures = f"{med:>11.1f}{p95(ours):>9.1f}{raw_med:>9.1f}{p95(base):>9.1f}"
        print(f"{name:<24}{figures}{med / raw_med:>7.2f}")


if __name__ == "__main__":
    main()
