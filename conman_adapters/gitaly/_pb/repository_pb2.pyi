from conman_adapters.gitaly._pb import shared_pb2 as _shared_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RepositoryExistsRequest(_message.Message):
    __slots__ = ("repository",)
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ...) -> None: ...

class RepositoryExistsResponse(_message.Message):
    __slots__ = ("exists",)
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    def __init__(self, exists: _Optional[bool] = ...) -> None: ...

class CreateRepositoryRequest(_message.Message):
    __slots__ = ("repository", "default_branch", "object_format")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_BRANCH_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    default_branch: bytes
    object_format: _shared_pb2.ObjectFormat
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., default_branch: _Optional[bytes] = ..., object_format: _Optional[_Union[_shared_pb2.ObjectFormat, str]] = ...) -> None: ...

class CreateRepositoryResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FindMergeBaseRequest(_message.Message):
    __slots__ = ("repository", "revisions")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    revisions: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., revisions: _Optional[_Iterable[bytes]] = ...) -> None: ...

class FindMergeBaseResponse(_message.Message):
    __slots__ = ("base",)
    BASE_FIELD_NUMBER: _ClassVar[int]
    base: str
    def __init__(self, base: _Optional[str] = ...) -> None: ...

class RemoveRepositoryRequest(_message.Message):
    __slots__ = ("repository",)
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ...) -> None: ...

class RemoveRepositoryResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
