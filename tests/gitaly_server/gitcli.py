"""The git engine of the test Gitaly server: the git CLI over bare repositories."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import timestamp_pb2

from conman_adapters.gitaly._pb import shared_pb2

ZERO = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_SYNTHETIC = {
    "GIT_AUTHOR_NAME": "synthetic",
    "GIT_AUTHOR_EMAIL": "synthetic@localhost",
    "GIT_AUTHOR_DATE": "@0 +0000",
    "GIT_COMMITTER_NAME": "synthetic",
    "GIT_COMMITTER_EMAIL": "synthetic@localhost",
    "GIT_COMMITTER_DATE": "@0 +0000",
}


class GitFailed(Exception):
    """A git command exited with an unexpected status."""

    def __init__(self, args: Sequence[str], code: int, stderr: bytes) -> None:
        super().__init__(f"git {' '.join(args)} -> {code}: {stderr.decode(errors='replace')}")
        self.code = code


def git(
    repo: Path | None,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> subprocess.CompletedProcess[bytes]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    full_env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"})
    full_env.update(env or {})
    cmd = ["git"] + ([f"--git-dir={repo}"] if repo else []) + list(args)
    done = subprocess.run(cmd, input=stdin, capture_output=True, env=full_env, check=False)
    if done.returncode not in ok:
        raise GitFailed(args, done.returncode, done.stderr)
    return done


def out(repo: Path, *args: str) -> str:
    return git(repo, *args).stdout.decode("utf-8", "surrogateescape").strip()


def resolve(repo: Path, revision: str, kind: str = "commit") -> str | None:
    """The id of ``revision^{kind}``, or ``None``."""
    if not revision:
        return None
    done = git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{{kind}}}", ok=(0, 1, 128))
    return done.stdout.decode().strip() if done.returncode == 0 else None


def ref_value(repo: Path, ref: str) -> str | None:
    done = git(repo, "rev-parse", "--verify", "--quiet", ref, ok=(0, 1, 128))
    return done.stdout.decode().strip() if done.returncode == 0 else None


def tree_of(repo: Path, commit: str) -> str:
    return out(repo, "rev-parse", f"{commit}^{{tree}}")


def identity(name: bytes, email: bytes, when: timestamp_pb2.Timestamp | None) -> dict[str, str]:
    seconds = (
        when.seconds if when is not None and when.seconds else int(datetime.now(UTC).timestamp())
    )
    who = {"NAME": name.decode(), "EMAIL": email.decode(), "DATE": f"@{seconds} +0000"}
    env = {f"GIT_AUTHOR_{k}": v for k, v in who.items()}
    env.update({f"GIT_COMMITTER_{k}": v for k, v in who.items()})
    return env


def commit_tree(
    repo: Path, tree: str, parents: Sequence[str], message: bytes, env: Mapping[str, str]
) -> str:
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return git(repo, *args, stdin=message, env=env).stdout.decode().strip()


def update_ref(repo: Path, ref: str, new: str, old: str | None) -> bool:
    """Compare-and-swap one ref; ``False`` when the old value did not match."""
    line = f"update {ref}\0{new}\0{old or ''}\0" if new != ZERO else f"delete {ref}\0{old or ''}\0"
    done = git(repo, "update-ref", "--stdin", "-z", stdin=line.encode(), ok=(0, 1, 128))
    return done.returncode == 0


def merge_trees(repo: Path, ours: str, theirs: str) -> tuple[str | None, list[str]]:
    """``merge-tree --write-tree`` of two commits: ``(tree, [])`` or ``(None, paths)``."""
    done = git(
        repo,
        "merge-tree",
        "--write-tree",
        "--name-only",
        "--no-messages",
        "-z",
        ours,
        theirs,
        ok=(0, 1),
    )
    fields = [f.decode("utf-8", "surrogateescape") for f in done.stdout.split(b"\0") if f]
    if done.returncode == 0:
        return fields[0], []
    return None, sorted(set(fields[1:]))


def three_way(
    repo: Path, base_tree: str, ours_tree: str, theirs_tree: str
) -> tuple[str | None, list[str]]:
    """Merge with an explicit base: synthetic commits (git 2.39 has no ``--merge-base``)."""
    base = commit_tree(repo, base_tree, [], b"base\n", _SYNTHETIC)
    ours = commit_tree(repo, ours_tree, [base], b"ours\n", _SYNTHETIC)
    theirs = commit_tree(repo, theirs_tree, [base], b"theirs\n", _SYNTHETIC)
    return merge_trees(repo, ours, theirs)


def _author(line: str) -> shared_pb2.CommitAuthor:
    name, rest = line.split(" <", 1)
    email, rest = rest.split("> ", 1)
    seconds, tz = rest.split(" ")
    return shared_pb2.CommitAuthor(
        name=name.encode(),
        email=email.encode(),
        date=timestamp_pb2.Timestamp(seconds=int(seconds)),
        timezone=tz.encode(),
    )


def read_commit(repo: Path, sha: str) -> shared_pb2.GitCommit:
    raw = git(repo, "cat-file", "commit", sha).stdout
    head, _, body = raw.partition(b"\n\n")
    commit = shared_pb2.GitCommit(id=sha, body=body, body_size=len(body))
    commit.subject = body.split(b"\n", 1)[0]
    for line in head.decode("utf-8", "surrogateescape").split("\n"):
        key, _, value = line.partition(" ")
        if key == "tree":
            commit.tree_id = value
        elif key == "parent":
            commit.parent_ids.append(value)
        elif key == "author":
            commit.author.CopyFrom(_author(value))
        elif key == "committer":
            commit.committer.CopyFrom(_author(value))
    return commit


def ls_tree(
    repo: Path, tree: str, *, recursive: bool, dirs: bool = True
) -> list[tuple[int, str, str, str]]:
    """``(mode, type, oid, path)`` of the entries of ``tree``."""
    args = ["ls-tree", "-z"] + (["-r"] + (["-t"] if dirs else []) if recursive else []) + [tree]
    entries = []
    for item in git(repo, *args).stdout.split(b"\0"):
        if item:
            meta, _, path = item.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            entries.append((int(mode, 8), kind, oid, path.decode("utf-8", "surrogateescape")))
    return entries
