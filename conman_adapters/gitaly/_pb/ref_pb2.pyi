from conman_adapters.gitaly._pb import errors_pb2 as _errors_pb2
from conman_adapters.gitaly._pb import shared_pb2 as _shared_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FindLocalBranchesRequest(_message.Message):
    __slots__ = ("repository", "sort_by", "pagination_params")
    class SortBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NAME: _ClassVar[FindLocalBranchesRequest.SortBy]
        UPDATED_ASC: _ClassVar[FindLocalBranchesRequest.SortBy]
        UPDATED_DESC: _ClassVar[FindLocalBranchesRequest.SortBy]
    NAME: FindLocalBranchesRequest.SortBy
    UPDATED_ASC: FindLocalBranchesRequest.SortBy
    UPDATED_DESC: FindLocalBranchesRequest.SortBy
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_PARAMS_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    sort_by: FindLocalBranchesRequest.SortBy
    pagination_params: _shared_pb2.PaginationParameter
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., sort_by: _Optional[_Union[FindLocalBranchesRequest.SortBy, str]] = ..., pagination_params: _Optional[_Union[_shared_pb2.PaginationParameter, _Mapping]] = ...) -> None: ...

class FindLocalBranchesResponse(_message.Message):
    __slots__ = ("local_branches",)
    LOCAL_BRANCHES_FIELD_NUMBER: _ClassVar[int]
    local_branches: _containers.RepeatedCompositeFieldContainer[_shared_pb2.Branch]
    def __init__(self, local_branches: _Optional[_Iterable[_Union[_shared_pb2.Branch, _Mapping]]] = ...) -> None: ...

class FindAllTagsRequest(_message.Message):
    __slots__ = ("repository", "sort_by", "pagination_params")
    class SortBy(_message.Message):
        __slots__ = ("key", "direction")
        class Key(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            REFNAME: _ClassVar[FindAllTagsRequest.SortBy.Key]
            CREATORDATE: _ClassVar[FindAllTagsRequest.SortBy.Key]
            VERSION_REFNAME: _ClassVar[FindAllTagsRequest.SortBy.Key]
        REFNAME: FindAllTagsRequest.SortBy.Key
        CREATORDATE: FindAllTagsRequest.SortBy.Key
        VERSION_REFNAME: FindAllTagsRequest.SortBy.Key
        KEY_FIELD_NUMBER: _ClassVar[int]
        DIRECTION_FIELD_NUMBER: _ClassVar[int]
        key: FindAllTagsRequest.SortBy.Key
        direction: _shared_pb2.SortDirection
        def __init__(self, key: _Optional[_Union[FindAllTagsRequest.SortBy.Key, str]] = ..., direction: _Optional[_Union[_shared_pb2.SortDirection, str]] = ...) -> None: ...
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    PAGINATION_PARAMS_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    sort_by: FindAllTagsRequest.SortBy
    pagination_params: _shared_pb2.PaginationParameter
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., sort_by: _Optional[_Union[FindAllTagsRequest.SortBy, _Mapping]] = ..., pagination_params: _Optional[_Union[_shared_pb2.PaginationParameter, _Mapping]] = ...) -> None: ...

class FindAllTagsResponse(_message.Message):
    __slots__ = ("tags",)
    TAGS_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedCompositeFieldContainer[_shared_pb2.Tag]
    def __init__(self, tags: _Optional[_Iterable[_Union[_shared_pb2.Tag, _Mapping]]] = ...) -> None: ...

class FindTagRequest(_message.Message):
    __slots__ = ("repository", "tag_name")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    TAG_NAME_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    tag_name: bytes
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., tag_name: _Optional[bytes] = ...) -> None: ...

class FindTagResponse(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: _shared_pb2.Tag
    def __init__(self, tag: _Optional[_Union[_shared_pb2.Tag, _Mapping]] = ...) -> None: ...

class FindTagError(_message.Message):
    __slots__ = ("tag_not_found",)
    TAG_NOT_FOUND_FIELD_NUMBER: _ClassVar[int]
    tag_not_found: _errors_pb2.ReferenceNotFoundError
    def __init__(self, tag_not_found: _Optional[_Union[_errors_pb2.ReferenceNotFoundError, _Mapping]] = ...) -> None: ...

class FindBranchRequest(_message.Message):
    __slots__ = ("repository", "name")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    name: bytes
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., name: _Optional[bytes] = ...) -> None: ...

class FindBranchResponse(_message.Message):
    __slots__ = ("branch",)
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    branch: _shared_pb2.Branch
    def __init__(self, branch: _Optional[_Union[_shared_pb2.Branch, _Mapping]] = ...) -> None: ...

class UpdateReferencesRequest(_message.Message):
    __slots__ = ("repository", "updates")
    class Update(_message.Message):
        __slots__ = ("reference", "old_object_id", "new_object_id")
        REFERENCE_FIELD_NUMBER: _ClassVar[int]
        OLD_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
        NEW_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
        reference: bytes
        old_object_id: bytes
        new_object_id: bytes
        def __init__(self, reference: _Optional[bytes] = ..., old_object_id: _Optional[bytes] = ..., new_object_id: _Optional[bytes] = ...) -> None: ...
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    updates: _containers.RepeatedCompositeFieldContainer[UpdateReferencesRequest.Update]
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., updates: _Optional[_Iterable[_Union[UpdateReferencesRequest.Update, _Mapping]]] = ...) -> None: ...

class UpdateReferencesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateReferencesError(_message.Message):
    __slots__ = ("invalid_format", "references_locked", "reference_state_mismatch")
    INVALID_FORMAT_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_LOCKED_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_STATE_MISMATCH_FIELD_NUMBER: _ClassVar[int]
    invalid_format: _errors_pb2.InvalidRefFormatError
    references_locked: _errors_pb2.ReferencesLockedError
    reference_state_mismatch: _errors_pb2.ReferenceStateMismatchError
    def __init__(self, invalid_format: _Optional[_Union[_errors_pb2.InvalidRefFormatError, _Mapping]] = ..., references_locked: _Optional[_Union[_errors_pb2.ReferencesLockedError, _Mapping]] = ..., reference_state_mismatch: _Optional[_Union[_errors_pb2.ReferenceStateMismatchError, _Mapping]] = ...) -> None: ...
