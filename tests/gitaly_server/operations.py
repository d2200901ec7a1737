"""OperationService of the test server, with upstream Gitaly's error semantics."""

from __future__ import annotations

from typing import Any

import grpc

from conman_adapters.gitaly._pb import (
    errors_pb2,
    operations_pb2,
    operations_pb2_grpc,
    shared_pb2,
)
from tests.gitaly_server.commit_files import Tree, parse_actions
from tests.gitaly_server.gitcli import (
    ZERO,
    commit_tree,
    git,
    identity,
    merge_trees,
    read_commit,
    ref_value,
    resolve,
    three_way,
    tree_of,
    update_ref,
)
from tests.gitaly_server.state import Abort, State, check_user, rpc


def _valid_ref(repo: Any, ref: str) -> None:
    if git(repo, "check-ref-format", ref, ok=(0, 1)).returncode != 0:
        raise Abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid ref name {ref}")


def _user_env(request: Any) -> dict[str, str]:
    return identity(request.user.name, request.user.email, request.timestamp)


def _move(repo: Any, ref: str, new: str, expected: str) -> None:
    old = expected or ref_value(repo, ref) or ZERO
    if not update_ref(repo, ref, new, old):
        raise Abort(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"Could not update {ref}. Please refresh and try again.",
        )


class OperationService(operations_pb2_grpc.OperationServiceServicer):
    def __init__(self, state: State) -> None:
        self.state = state

    @rpc("unary")
    def UserCreateBranch(self, request: Any, context: Any) -> Any:
        check_user(request)
        repo = self.state.repo(request.repository)
        name = request.branch_name.decode()
        _valid_ref(repo, f"refs/heads/{name}")
        start = resolve(repo, request.start_point.decode())
        if start is None:
            raise Abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"revspec '{request.start_point.decode()}' not found",
            )
        if not update_ref(repo, f"refs/heads/{name}", start, ZERO):
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "Bad Request (branch exists)")
        branch = shared_pb2.Branch(name=name.encode(), target_commit=read_commit(repo, start))
        return operations_pb2.UserCreateBranchResponse(branch=branch)

    @rpc("unary")
    def UserDeleteBranch(self, request: Any, context: Any) -> Any:
        check_user(request)
        repo = self.state.repo(request.repository)
        ref = f"refs/heads/{request.branch_name.decode()}"
        current = ref_value(repo, ref)
        if current is None:
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "branch not found")
        expected = request.expected_old_oid or current
        if not update_ref(repo, ref, ZERO, expected):
            update = errors_pb2.ReferenceUpdateError(
                reference_name=ref.encode(), old_oid=expected, new_oid=ZERO
            )
            detail = operations_pb2.UserDeleteBranchError(reference_update=update)
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "reference update failed", [detail])
        return operations_pb2.UserDeleteBranchResponse()

    @rpc("unary")
    def UserCreateTag(self, request: Any, context: Any) -> Any:
        check_user(request)
        repo = self.state.repo(request.repository)
        name = request.tag_name.decode()
        ref = f"refs/tags/{name}"
        _valid_ref(repo, ref)
        target = resolve(repo, request.target_revision.decode())
        if target is None:
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "revspec not found")
        existing = ref_value(repo, ref)
        if existing is not None:
            detail = operations_pb2.UserCreateTagError(
                reference_exists=errors_pb2.ReferenceExistsError(
                    reference_name=ref.encode(), oid=existing
                )
            )
            raise Abort(grpc.StatusCode.ALREADY_EXISTS, f"tag {name} already exists", [detail])
        if request.message:
            git(
                repo,
                "tag",
                "-a",
                "-m",
                request.message.decode(),
                name,
                target,
                env=_user_env(request),
            )
        elif not update_ref(repo, ref, target, ZERO):
            raise Abort(grpc.StatusCode.ALREADY_EXISTS, f"tag {name} already exists")
        oid = ref_value(repo, ref) or target
        tag = shared_pb2.Tag(name=name.encode(), id=oid, target_commit=read_commit(repo, target))
        return operations_pb2.UserCreateTagResponse(tag=tag)

    @rpc("unary")
    def UserMergeToRef(self, request: Any, context: Any) -> Any:
        # Runs no hooks, but upstream still requires the user.
        check_user(request)
        repo = self.state.repo(request.repository)
        target = request.target_ref.decode()
        _valid_ref(repo, target)
        source = resolve(repo, request.source_sha)
        first = resolve(repo, (request.first_parent_ref or request.branch).decode())
        if source is None or first is None:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid merge source")
        tree, _ = merge_trees(repo, first, source)
        if tree is None:  # upstream's message does not say "conflict"
            raise Abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"Failed to create merge commit for source_sha {source}"
                f" and target_sha {first} at {target}",
            )
        sha = commit_tree(repo, tree, [first, source], request.message, _user_env(request))
        old = request.expected_old_oid or ref_value(repo, target) or ZERO
        if not update_ref(repo, target, sha, old):
            raise Abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"Could not update {target}. Please refresh and try again.",
            )
        return operations_pb2.UserMergeToRefResponse(commit_id=sha)

    @rpc("unary")
    def UserRebaseToRef(self, request: Any, context: Any) -> Any:
        check_user(request)
        repo = self.state.repo(request.repository)
        target = request.target_ref.decode()
        _valid_ref(repo, target)
        source = resolve(repo, request.source_sha)
        head = resolve(repo, request.first_parent_ref.decode())
        if source is None or head is None:
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "invalid source or first parent")
        picks = git(
            repo, "rev-list", "--reverse", "--topo-order", "--no-merges", source, f"^{head}"
        )
        for sha in picks.stdout.decode().split():
            commit = read_commit(repo, sha)
            parent = commit.parent_ids[0] if commit.parent_ids else None
            base = tree_of(repo, parent) if parent else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
            tree, paths = three_way(repo, base, tree_of(repo, head), commit.tree_id)
            if tree is None:
                raise Abort(
                    grpc.StatusCode.FAILED_PRECONDITION, f"rebasing commits: conflict in {paths}"
                )
            if tree == tree_of(repo, head):
                continue  # already applied: dropped like git rebase does
            env = _user_env(request)
            a = commit.author
            env.update(
                {
                    "GIT_AUTHOR_NAME": a.name.decode(),
                    "GIT_AUTHOR_EMAIL": a.email.decode(),
                    "GIT_AUTHOR_DATE": f"@{a.date.seconds} +0000",
                }
            )
            head = commit_tree(repo, tree, [head], commit.body, env)
        old = request.expected_old_oid or ref_value(repo, target) or ZERO
        if not update_ref(repo, target, head, old):
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, f"Could not update {target}")
        return operations_pb2.UserRebaseToRefResponse(commit_id=head)

    @rpc("client")
    def UserCommitFiles(self, requests: list[Any], context: Any) -> Any:
        if not requests or not requests[0].HasField("header"):
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "empty UserCommitFilesRequestHeader")
        header = requests[0].header
        check_user(header)
        repo = self.state.repo(header.repository)
        branch = header.branch_name.decode()
        ref = f"refs/heads/{branch}"
        _valid_ref(repo, ref)
        current = ref_value(repo, ref)
        start_name = header.start_sha or header.start_branch_name.decode()
        start = resolve(repo, start_name) if start_name else current
        if start_name and start is None:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"resolve parent commit: {start_name} not found"
            )
        tree = Tree(repo, start)
        for action, content in parse_actions(requests):
            tree.apply(action, content)
        env = identity(header.user.name, header.user.email, header.timestamp)
        if header.commit_author_name:
            env["GIT_AUTHOR_NAME"] = header.commit_author_name.decode()
            env["GIT_AUTHOR_EMAIL"] = header.commit_author_email.decode()
        sha = commit_tree(repo, tree.write(), [start] if start else [], header.commit_message, env)
        _move(repo, ref, sha, header.expected_old_oid or (current or ZERO))
        update = operations_pb2.OperationBranchUpdate(commit_id=sha, branch_created=current is None)
        return operations_pb2.UserCommitFilesResponse(branch_update=update)

    @rpc("unary")
    def UserRevert(self, request: Any, context: Any) -> Any:
        check_user(request)
        repo = self.state.repo(request.repository)
        branch = request.branch_name.decode()
        ref = f"refs/heads/{branch}"
        current = ref_value(repo, ref)
        start_name = request.start_branch_name.decode()
        start = ref_value(repo, f"refs/heads/{start_name}") if start_name else current
        commit = resolve(repo, request.commit.id)
        if start is None or commit is None:
            raise Abort(grpc.StatusCode.NOT_FOUND, "revert: start branch or commit not found")
        parents = list(request.commit.parent_ids) or list(read_commit(repo, commit).parent_ids)
        if not parents:
            raise Abort(grpc.StatusCode.FAILED_PRECONDITION, "cannot revert a root commit")
        ours = tree_of(repo, start)
        tree, paths = three_way(repo, tree_of(repo, commit), ours, tree_of(repo, parents[0]))
        if tree is None:
            conflict = errors_pb2.MergeConflictError(
                conflicting_files=[p.encode() for p in paths],
                conflicting_commit_ids=[start, commit],
            )
            detail = operations_pb2.UserRevertError(merge_conflict=conflict)
            raise Abort(
                grpc.StatusCode.FAILED_PRECONDITION, "revert: there are conflicting files", [detail]
            )
        if tree == ours:
            return operations_pb2.UserRevertResponse(
                create_tree_error="revert: could not apply because the result was empty",
                create_tree_error_code=operations_pb2.UserRevertResponse.EMPTY,
            )
        sha = commit_tree(repo, tree, [start], request.message, _user_env(request))
        _move(repo, ref, sha, request.expected_old_oid or (current or ZERO))
        update = operations_pb2.OperationBranchUpdate(commit_id=sha, branch_created=current is None)
        return operations_pb2.UserRevertResponse(branch_update=update)
