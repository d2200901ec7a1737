from conman_adapters.gitaly._pb import shared_pb2 as _shared_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RawDiffRequest(_message.Message):
    __slots__ = ("repository", "left_commit_id", "right_commit_id")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    LEFT_COMMIT_ID_FIELD_NUMBER: _ClassVar[int]
    RIGHT_COMMIT_ID_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    left_commit_id: str
    right_commit_id: str
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., left_commit_id: _Optional[str] = ..., right_commit_id: _Optional[str] = ...) -> None: ...

class RawDiffResponse(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class FindChangedPathsRequest(_message.Message):
    __slots__ = ("repository", "requests", "merge_commit_diff_mode", "find_renames", "diff_filters")
    class MergeCommitDiffMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MERGE_COMMIT_DIFF_MODE_UNSPECIFIED: _ClassVar[FindChangedPathsRequest.MergeCommitDiffMode]
        MERGE_COMMIT_DIFF_MODE_INCLUDE_MERGES: _ClassVar[FindChangedPathsRequest.MergeCommitDiffMode]
        MERGE_COMMIT_DIFF_MODE_ALL_PARENTS: _ClassVar[FindChangedPathsRequest.MergeCommitDiffMode]
    MERGE_COMMIT_DIFF_MODE_UNSPECIFIED: FindChangedPathsRequest.MergeCommitDiffMode
    MERGE_COMMIT_DIFF_MODE_INCLUDE_MERGES: FindChangedPathsRequest.MergeCommitDiffMode
    MERGE_COMMIT_DIFF_MODE_ALL_PARENTS: FindChangedPathsRequest.MergeCommitDiffMode
    class DiffStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DIFF_STATUS_UNSPECIFIED: _ClassVar[FindChangedPathsRequest.DiffStatus]
        DIFF_STATUS_ADDED: _ClassVar[FindChangedPathsRequest.DiffStatus]
        DIFF_STATUS_MODIFIED: _ClassVar[FindChangedPathsRequest.DiffStatus]
        DIFF_STATUS_DELETED: _ClassVar[FindChangedPathsRequest.DiffStatus]
        DIFF_STATUS_TYPE_CHANGE: _ClassVar[FindChangedPathsRequest.DiffStatus]
        DIFF_STATUS_COPIED: _ClassVar[FindChangedPathsRequest.DiffStatus]
        DIFF_STATUS_RENAMED: _ClassVar[FindChangedPathsRequest.DiffStatus]
    DIFF_STATUS_UNSPECIFIED: FindChangedPathsRequest.DiffStatus
    DIFF_STATUS_ADDED: FindChangedPathsRequest.DiffStatus
    DIFF_STATUS_MODIFIED: FindChangedPathsRequest.DiffStatus
    DIFF_STATUS_DELETED: FindChangedPathsRequest.DiffStatus
    DIFF_STATUS_TYPE_CHANGE: FindChangedPathsRequest.DiffStatus
    DIFF_STATUS_COPIED: FindChangedPathsRequest.DiffStatus
    DIFF_STATUS_RENAMED: FindChangedPathsRequest.DiffStatus
    class Request(_message.Message):
        __slots__ = ("tree_request", "commit_request")
        class TreeRequest(_message.Message):
            __slots__ = ("left_tree_revision", "right_tree_revision")
            LEFT_TREE_REVISION_FIELD_NUMBER: _ClassVar[int]
            RIGHT_TREE_REVISION_FIELD_NUMBER: _ClassVar[int]
            left_tree_revision: str
            right_tree_revision: str
            def __init__(self, left_tree_revision: _Optional[str] = ..., right_tree_revision: _Optional[str] = ...) -> None: ...
        class CommitRequest(_message.Message):
            __slots__ = ("commit_revision", "parent_commit_revisions")
            COMMIT_REVISION_FIELD_NUMBER: _ClassVar[int]
            PARENT_COMMIT_REVISIONS_FIELD_NUMBER: _ClassVar[int]
            commit_revision: str
            parent_commit_revisions: _containers.RepeatedScalarFieldContainer[str]
            def __init__(self, commit_revision: _Optional[str] = ..., parent_commit_revisions: _Optional[_Iterable[str]] = ...) -> None: ...
        TREE_REQUEST_FIELD_NUMBER: _ClassVar[int]
        COMMIT_REQUEST_FIELD_NUMBER: _ClassVar[int]
        tree_request: FindChangedPathsRequest.Request.TreeRequest
        commit_request: FindChangedPathsRequest.Request.CommitRequest
        def __init__(self, tree_request: _Optional[_Union[FindChangedPathsRequest.Request.TreeRequest, _Mapping]] = ..., commit_request: _Optional[_Union[FindChangedPathsRequest.Request.CommitRequest, _Mapping]] = ...) -> None: ...
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    MERGE_COMMIT_DIFF_MODE_FIELD_NUMBER: _ClassVar[int]
    FIND_RENAMES_FIELD_NUMBER: _ClassVar[int]
    DIFF_FILTERS_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    requests: _containers.RepeatedCompositeFieldContainer[FindChangedPathsRequest.Request]
    merge_commit_diff_mode: FindChangedPathsRequest.MergeCommitDiffMode
    find_renames: bool
    diff_filters: _containers.RepeatedScalarFieldContainer[FindChangedPathsRequest.DiffStatus]
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., requests: _Optional[_Iterable[_Union[FindChangedPathsRequest.Request, _Mapping]]] = ..., merge_commit_diff_mode: _Optional[_Union[FindChangedPathsRequest.MergeCommitDiffMode, str]] = ..., find_renames: _Optional[bool] = ..., diff_filters: _Optional[_Iterable[_Union[FindChangedPathsRequest.DiffStatus, str]]] = ...) -> None: ...

class ChangedPaths(_message.Message):
    __slots__ = ("path", "status", "old_mode", "new_mode", "old_blob_id", "new_blob_id", "old_path", "score", "commit_id")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ADDED: _ClassVar[ChangedPaths.Status]
        MODIFIED: _ClassVar[ChangedPaths.Status]
        DELETED: _ClassVar[ChangedPaths.Status]
        TYPE_CHANGE: _ClassVar[ChangedPaths.Status]
        COPIED: _ClassVar[ChangedPaths.Status]
        RENAMED: _ClassVar[ChangedPaths.Status]
    ADDED: ChangedPaths.Status
    MODIFIED: ChangedPaths.Status
    DELETED: ChangedPaths.Status
    TYPE_CHANGE: ChangedPaths.Status
    COPIED: ChangedPaths.Status
    RENAMED: ChangedPaths.Status
    PATH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OLD_MODE_FIELD_NUMBER: _ClassVar[int]
    NEW_MODE_FIELD_NUMBER: _ClassVar[int]
    OLD_BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_BLOB_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_PATH_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_ID_FIELD_NUMBER: _ClassVar[int]
    path: bytes
    status: ChangedPaths.Status
    old_mode: int
    new_mode: int
    old_blob_id: str
    new_blob_id: str
    old_path: bytes
    score: int
    commit_id: str
    def __init__(self, path: _Optional[bytes] = ..., status: _Optional[_Union[ChangedPaths.Status, str]] = ..., old_mode: _Optional[int] = ..., new_mode: _Optional[int] = ..., old_blob_id: _Optional[str] = ..., new_blob_id: _Optional[str] = ..., old_path: _Optional[bytes] = ..., score: _Optional[int] = ..., commit_id: _Optional[str] = ...) -> None: ...

class FindChangedPathsResponse(_message.Message):
    __slots__ = ("paths",)
    PATHS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedCompositeFieldContainer[ChangedPaths]
    def __init__(self, paths: _Optional[_Iterable[_Union[ChangedPaths, _Mapping]]] = ...) -> None: ...
