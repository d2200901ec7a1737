from conman_adapters.gitaly._pb import shared_pb2 as _shared_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListConflictFilesRequest(_message.Message):
    __slots__ = ("repository", "our_commit_oid", "their_commit_oid", "allow_tree_conflicts", "skip_content")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    OUR_COMMIT_OID_FIELD_NUMBER: _ClassVar[int]
    THEIR_COMMIT_OID_FIELD_NUMBER: _ClassVar[int]
    ALLOW_TREE_CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    SKIP_CONTENT_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    our_commit_oid: str
    their_commit_oid: str
    allow_tree_conflicts: bool
    skip_content: bool
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., our_commit_oid: _Optional[str] = ..., their_commit_oid: _Optional[str] = ..., allow_tree_conflicts: _Optional[bool] = ..., skip_content: _Optional[bool] = ...) -> None: ...

class ConflictFileHeader(_message.Message):
    __slots__ = ("commit_oid", "their_path", "our_path", "our_mode", "ancestor_path")
    COMMIT_OID_FIELD_NUMBER: _ClassVar[int]
    THEIR_PATH_FIELD_NUMBER: _ClassVar[int]
    OUR_PATH_FIELD_NUMBER: _ClassVar[int]
    OUR_MODE_FIELD_NUMBER: _ClassVar[int]
    ANCESTOR_PATH_FIELD_NUMBER: _ClassVar[int]
    commit_oid: str
    their_path: bytes
    our_path: bytes
    our_mode: int
    ancestor_path: bytes
    def __init__(self, commit_oid: _Optional[str] = ..., their_path: _Optional[bytes] = ..., our_path: _Optional[bytes] = ..., our_mode: _Optional[int] = ..., ancestor_path: _Optional[bytes] = ...) -> None: ...

class ConflictFile(_message.Message):
    __slots__ = ("header", "content")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    header: ConflictFileHeader
    content: bytes
    def __init__(self, header: _Optional[_Union[ConflictFileHeader, _Mapping]] = ..., content: _Optional[bytes] = ...) -> None: ...

class ListConflictFilesResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[ConflictFile]
    def __init__(self, files: _Optional[_Iterable[_Union[ConflictFile, _Mapping]]] = ...) -> None: ...
