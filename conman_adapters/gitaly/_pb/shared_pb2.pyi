import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ObjectType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNKNOWN: _ClassVar[ObjectType]
    COMMIT: _ClassVar[ObjectType]
    BLOB: _ClassVar[ObjectType]
    TREE: _ClassVar[ObjectType]
    TAG: _ClassVar[ObjectType]

class ObjectFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBJECT_FORMAT_UNSPECIFIED: _ClassVar[ObjectFormat]
    OBJECT_FORMAT_SHA1: _ClassVar[ObjectFormat]
    OBJECT_FORMAT_SHA256: _ClassVar[ObjectFormat]

class SortDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASCENDING: _ClassVar[SortDirection]
    DESCENDING: _ClassVar[SortDirection]
UNKNOWN: ObjectType
COMMIT: ObjectType
BLOB: ObjectType
TREE: ObjectType
TAG: ObjectType
OBJECT_FORMAT_UNSPECIFIED: ObjectFormat
OBJECT_FORMAT_SHA1: ObjectFormat
OBJECT_FORMAT_SHA256: ObjectFormat
ASCENDING: SortDirection
DESCENDING: SortDirection

class Repository(_message.Message):
    __slots__ = ("storage_name", "relative_path", "git_object_directory", "git_alternate_object_directories", "gl_repository", "gl_project_path")
    STORAGE_NAME_FIELD_NUMBER: _ClassVar[int]
    RELATIVE_PATH_FIELD_NUMBER: _ClassVar[int]
    GIT_OBJECT_DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    GIT_ALTERNATE_OBJECT_DIRECTORIES_FIELD_NUMBER: _ClassVar[int]
    GL_REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    GL_PROJECT_PATH_FIELD_NUMBER: _ClassVar[int]
    storage_name: str
    relative_path: str
    git_object_directory: str
    git_alternate_object_directories: _containers.RepeatedScalarFieldContainer[str]
    gl_repository: str
    gl_project_path: str
    def __init__(self, storage_name: _Optional[str] = ..., relative_path: _Optional[str] = ..., git_object_directory: _Optional[str] = ..., git_alternate_object_directories: _Optional[_Iterable[str]] = ..., gl_repository: _Optional[str] = ..., gl_project_path: _Optional[str] = ...) -> None: ...

class CommitAuthor(_message.Message):
    __slots__ = ("name", "email", "date", "timezone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    name: bytes
    email: bytes
    date: _timestamp_pb2.Timestamp
    timezone: bytes
    def __init__(self, name: _Optional[bytes] = ..., email: _Optional[bytes] = ..., date: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., timezone: _Optional[bytes] = ...) -> None: ...

class GitCommit(_message.Message):
    __slots__ = ("id", "subject", "body", "author", "committer", "parent_ids", "body_size", "tree_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    COMMITTER_FIELD_NUMBER: _ClassVar[int]
    PARENT_IDS_FIELD_NUMBER: _ClassVar[int]
    BODY_SIZE_FIELD_NUMBER: _ClassVar[int]
    TREE_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    subject: bytes
    body: bytes
    author: CommitAuthor
    committer: CommitAuthor
    parent_ids: _containers.RepeatedScalarFieldContainer[str]
    body_size: int
    tree_id: str
    def __init__(self, id: _Optional[str] = ..., subject: _Optional[bytes] = ..., body: _Optional[bytes] = ..., author: _Optional[_Union[CommitAuthor, _Mapping]] = ..., committer: _Optional[_Union[CommitAuthor, _Mapping]] = ..., parent_ids: _Optional[_Iterable[str]] = ..., body_size: _Optional[int] = ..., tree_id: _Optional[str] = ...) -> None: ...

class Branch(_message.Message):
    __slots__ = ("name", "target_commit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_COMMIT_FIELD_NUMBER: _ClassVar[int]
    name: bytes
    target_commit: GitCommit
    def __init__(self, name: _Optional[bytes] = ..., target_commit: _Optional[_Union[GitCommit, _Mapping]] = ...) -> None: ...

class Tag(_message.Message):
    __slots__ = ("name", "id", "target_commit", "message", "message_size", "tagger")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_COMMIT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    TAGGER_FIELD_NUMBER: _ClassVar[int]
    name: bytes
    id: str
    target_commit: GitCommit
    message: bytes
    message_size: int
    tagger: CommitAuthor
    def __init__(self, name: _Optional[bytes] = ..., id: _Optional[str] = ..., target_commit: _Optional[_Union[GitCommit, _Mapping]] = ..., message: _Optional[bytes] = ..., message_size: _Optional[int] = ..., tagger: _Optional[_Union[CommitAuthor, _Mapping]] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("gl_id", "name", "email", "gl_username", "timezone")
    GL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    GL_USERNAME_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    gl_id: str
    name: bytes
    email: bytes
    gl_username: str
    timezone: str
    def __init__(self, gl_id: _Optional[str] = ..., name: _Optional[bytes] = ..., email: _Optional[bytes] = ..., gl_username: _Optional[str] = ..., timezone: _Optional[str] = ...) -> None: ...

class PaginationParameter(_message.Message):
    __slots__ = ("page_token", "limit")
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    page_token: str
    limit: int
    def __init__(self, page_token: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class PaginationCursor(_message.Message):
    __slots__ = ("next_cursor",)
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    next_cursor: str
    def __init__(self, next_cursor: _Optional[str] = ...) -> None: ...
