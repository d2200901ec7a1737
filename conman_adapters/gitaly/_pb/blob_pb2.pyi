from conman_adapters.gitaly._pb import shared_pb2 as _shared_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetBlobsRequest(_message.Message):
    __slots__ = ("repository", "revision_paths", "limit")
    class RevisionPath(_message.Message):
        __slots__ = ("revision", "path")
        REVISION_FIELD_NUMBER: _ClassVar[int]
        PATH_FIELD_NUMBER: _ClassVar[int]
        revision: str
        path: bytes
        def __init__(self, revision: _Optional[str] = ..., path: _Optional[bytes] = ...) -> None: ...
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    REVISION_PATHS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    revision_paths: _containers.RepeatedCompositeFieldContainer[GetBlobsRequest.RevisionPath]
    limit: int
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., revision_paths: _Optional[_Iterable[_Union[GetBlobsRequest.RevisionPath, _Mapping]]] = ..., limit: _Optional[int] = ...) -> None: ...

class GetBlobsResponse(_message.Message):
    __slots__ = ("size", "data", "oid", "is_submodule", "mode", "revision", "path", "type")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    OID_FIELD_NUMBER: _ClassVar[int]
    IS_SUBMODULE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    size: int
    data: bytes
    oid: str
    is_submodule: bool
    mode: int
    revision: str
    path: bytes
    type: _shared_pb2.ObjectType
    def __init__(self, size: _Optional[int] = ..., data: _Optional[bytes] = ..., oid: _Optional[str] = ..., is_submodule: _Optional[bool] = ..., mode: _Optional[int] = ..., revision: _Optional[str] = ..., path: _Optional[bytes] = ..., type: _Optional[_Union[_shared_pb2.ObjectType, str]] = ...) -> None: ...
