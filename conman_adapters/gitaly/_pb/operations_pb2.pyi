import datetime

from conman_adapters.gitaly._pb import errors_pb2 as _errors_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from conman_adapters.gitaly._pb import shared_pb2 as _shared_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UserCreateBranchRequest(_message.Message):
    __slots__ = ("repository", "branch_name", "user", "start_point")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    BRANCH_NAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    START_POINT_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    branch_name: bytes
    user: _shared_pb2.User
    start_point: bytes
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., branch_name: _Optional[bytes] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., start_point: _Optional[bytes] = ...) -> None: ...

class UserCreateBranchResponse(_message.Message):
    __slots__ = ("branch",)
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    branch: _shared_pb2.Branch
    def __init__(self, branch: _Optional[_Union[_shared_pb2.Branch, _Mapping]] = ...) -> None: ...

class UserDeleteBranchRequest(_message.Message):
    __slots__ = ("repository", "branch_name", "user", "expected_old_oid")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    BRANCH_NAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OLD_OID_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    branch_name: bytes
    user: _shared_pb2.User
    expected_old_oid: str
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., branch_name: _Optional[bytes] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., expected_old_oid: _Optional[str] = ...) -> None: ...

class UserDeleteBranchResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UserDeleteBranchError(_message.Message):
    __slots__ = ("access_check", "reference_update", "custom_hook")
    ACCESS_CHECK_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_HOOK_FIELD_NUMBER: _ClassVar[int]
    access_check: _errors_pb2.AccessCheckError
    reference_update: _errors_pb2.ReferenceUpdateError
    custom_hook: _errors_pb2.CustomHookError
    def __init__(self, access_check: _Optional[_Union[_errors_pb2.AccessCheckError, _Mapping]] = ..., reference_update: _Optional[_Union[_errors_pb2.ReferenceUpdateError, _Mapping]] = ..., custom_hook: _Optional[_Union[_errors_pb2.CustomHookError, _Mapping]] = ...) -> None: ...

class UserCreateTagRequest(_message.Message):
    __slots__ = ("repository", "tag_name", "user", "target_revision", "message", "timestamp")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    TAG_NAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    TARGET_REVISION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    tag_name: bytes
    user: _shared_pb2.User
    target_revision: bytes
    message: bytes
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., tag_name: _Optional[bytes] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., target_revision: _Optional[bytes] = ..., message: _Optional[bytes] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UserCreateTagResponse(_message.Message):
    __slots__ = ("tag",)
    TAG_FIELD_NUMBER: _ClassVar[int]
    tag: _shared_pb2.Tag
    def __init__(self, tag: _Optional[_Union[_shared_pb2.Tag, _Mapping]] = ...) -> None: ...

class UserCreateTagError(_message.Message):
    __slots__ = ("access_check", "reference_update", "custom_hook", "reference_exists")
    ACCESS_CHECK_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_HOOK_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_EXISTS_FIELD_NUMBER: _ClassVar[int]
    access_check: _errors_pb2.AccessCheckError
    reference_update: _errors_pb2.ReferenceUpdateError
    custom_hook: _errors_pb2.CustomHookError
    reference_exists: _errors_pb2.ReferenceExistsError
    def __init__(self, access_check: _Optional[_Union[_errors_pb2.AccessCheckError, _Mapping]] = ..., reference_update: _Optional[_Union[_errors_pb2.ReferenceUpdateError, _Mapping]] = ..., custom_hook: _Optional[_Union[_errors_pb2.CustomHookError, _Mapping]] = ..., reference_exists: _Optional[_Union[_errors_pb2.ReferenceExistsError, _Mapping]] = ...) -> None: ...

class UserMergeToRefRequest(_message.Message):
    __slots__ = ("repository", "user", "source_sha", "branch", "target_ref", "message", "first_parent_ref", "allow_conflicts", "timestamp", "expected_old_oid")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SHA_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    TARGET_REF_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIRST_PARENT_REF_FIELD_NUMBER: _ClassVar[int]
    ALLOW_CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OLD_OID_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    user: _shared_pb2.User
    source_sha: str
    branch: bytes
    target_ref: bytes
    message: bytes
    first_parent_ref: bytes
    allow_conflicts: bool
    timestamp: _timestamp_pb2.Timestamp
    expected_old_oid: str
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., source_sha: _Optional[str] = ..., branch: _Optional[bytes] = ..., target_ref: _Optional[bytes] = ..., message: _Optional[bytes] = ..., first_parent_ref: _Optional[bytes] = ..., allow_conflicts: _Optional[bool] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_old_oid: _Optional[str] = ...) -> None: ...

class UserMergeToRefResponse(_message.Message):
    __slots__ = ("commit_id",)
    COMMIT_ID_FIELD_NUMBER: _ClassVar[int]
    commit_id: str
    def __init__(self, commit_id: _Optional[str] = ...) -> None: ...

class OperationBranchUpdate(_message.Message):
    __slots__ = ("commit_id", "repo_created", "branch_created")
    COMMIT_ID_FIELD_NUMBER: _ClassVar[int]
    REPO_CREATED_FIELD_NUMBER: _ClassVar[int]
    BRANCH_CREATED_FIELD_NUMBER: _ClassVar[int]
    commit_id: str
    repo_created: bool
    branch_created: bool
    def __init__(self, commit_id: _Optional[str] = ..., repo_created: _Optional[bool] = ..., branch_created: _Optional[bool] = ...) -> None: ...

class UserRebaseToRefRequest(_message.Message):
    __slots__ = ("repository", "user", "source_sha", "target_ref", "first_parent_ref", "timestamp", "expected_old_oid")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SHA_FIELD_NUMBER: _ClassVar[int]
    TARGET_REF_FIELD_NUMBER: _ClassVar[int]
    FIRST_PARENT_REF_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OLD_OID_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    user: _shared_pb2.User
    source_sha: str
    target_ref: bytes
    first_parent_ref: bytes
    timestamp: _timestamp_pb2.Timestamp
    expected_old_oid: str
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., source_sha: _Optional[str] = ..., target_ref: _Optional[bytes] = ..., first_parent_ref: _Optional[bytes] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_old_oid: _Optional[str] = ...) -> None: ...

class UserRebaseToRefResponse(_message.Message):
    __slots__ = ("commit_id",)
    COMMIT_ID_FIELD_NUMBER: _ClassVar[int]
    commit_id: str
    def __init__(self, commit_id: _Optional[str] = ...) -> None: ...

class UserRevertRequest(_message.Message):
    __slots__ = ("repository", "user", "commit", "branch_name", "message", "start_branch_name", "start_repository", "dry_run", "timestamp", "expected_old_oid")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    BRANCH_NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    START_BRANCH_NAME_FIELD_NUMBER: _ClassVar[int]
    START_REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OLD_OID_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    user: _shared_pb2.User
    commit: _shared_pb2.GitCommit
    branch_name: bytes
    message: bytes
    start_branch_name: bytes
    start_repository: _shared_pb2.Repository
    dry_run: bool
    timestamp: _timestamp_pb2.Timestamp
    expected_old_oid: str
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., commit: _Optional[_Union[_shared_pb2.GitCommit, _Mapping]] = ..., branch_name: _Optional[bytes] = ..., message: _Optional[bytes] = ..., start_branch_name: _Optional[bytes] = ..., start_repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., dry_run: _Optional[bool] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_old_oid: _Optional[str] = ...) -> None: ...

class UserRevertResponse(_message.Message):
    __slots__ = ("branch_update", "create_tree_error", "commit_error", "pre_receive_error", "create_tree_error_code")
    class CreateTreeError(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NONE: _ClassVar[UserRevertResponse.CreateTreeError]
        EMPTY: _ClassVar[UserRevertResponse.CreateTreeError]
        CONFLICT: _ClassVar[UserRevertResponse.CreateTreeError]
    NONE: UserRevertResponse.CreateTreeError
    EMPTY: UserRevertResponse.CreateTreeError
    CONFLICT: UserRevertResponse.CreateTreeError
    BRANCH_UPDATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TREE_ERROR_FIELD_NUMBER: _ClassVar[int]
    COMMIT_ERROR_FIELD_NUMBER: _ClassVar[int]
    PRE_RECEIVE_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TREE_ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    branch_update: OperationBranchUpdate
    create_tree_error: str
    commit_error: str
    pre_receive_error: str
    create_tree_error_code: UserRevertResponse.CreateTreeError
    def __init__(self, branch_update: _Optional[_Union[OperationBranchUpdate, _Mapping]] = ..., create_tree_error: _Optional[str] = ..., commit_error: _Optional[str] = ..., pre_receive_error: _Optional[str] = ..., create_tree_error_code: _Optional[_Union[UserRevertResponse.CreateTreeError, str]] = ...) -> None: ...

class UserRevertError(_message.Message):
    __slots__ = ("merge_conflict", "changes_already_applied", "custom_hook", "not_ancestor")
    MERGE_CONFLICT_FIELD_NUMBER: _ClassVar[int]
    CHANGES_ALREADY_APPLIED_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_HOOK_FIELD_NUMBER: _ClassVar[int]
    NOT_ANCESTOR_FIELD_NUMBER: _ClassVar[int]
    merge_conflict: _errors_pb2.MergeConflictError
    changes_already_applied: _errors_pb2.ChangesAlreadyAppliedError
    custom_hook: _errors_pb2.CustomHookError
    not_ancestor: _errors_pb2.NotAncestorError
    def __init__(self, merge_conflict: _Optional[_Union[_errors_pb2.MergeConflictError, _Mapping]] = ..., changes_already_applied: _Optional[_Union[_errors_pb2.ChangesAlreadyAppliedError, _Mapping]] = ..., custom_hook: _Optional[_Union[_errors_pb2.CustomHookError, _Mapping]] = ..., not_ancestor: _Optional[_Union[_errors_pb2.NotAncestorError, _Mapping]] = ...) -> None: ...

class UserCommitFilesActionHeader(_message.Message):
    __slots__ = ("action", "file_path", "previous_path", "base64_content", "execute_filemode", "infer_content")
    class ActionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CREATE: _ClassVar[UserCommitFilesActionHeader.ActionType]
        CREATE_DIR: _ClassVar[UserCommitFilesActionHeader.ActionType]
        UPDATE: _ClassVar[UserCommitFilesActionHeader.ActionType]
        MOVE: _ClassVar[UserCommitFilesActionHeader.ActionType]
        DELETE: _ClassVar[UserCommitFilesActionHeader.ActionType]
        CHMOD: _ClassVar[UserCommitFilesActionHeader.ActionType]
    CREATE: UserCommitFilesActionHeader.ActionType
    CREATE_DIR: UserCommitFilesActionHeader.ActionType
    UPDATE: UserCommitFilesActionHeader.ActionType
    MOVE: UserCommitFilesActionHeader.ActionType
    DELETE: UserCommitFilesActionHeader.ActionType
    CHMOD: UserCommitFilesActionHeader.ActionType
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_PATH_FIELD_NUMBER: _ClassVar[int]
    BASE64_CONTENT_FIELD_NUMBER: _ClassVar[int]
    EXECUTE_FILEMODE_FIELD_NUMBER: _ClassVar[int]
    INFER_CONTENT_FIELD_NUMBER: _ClassVar[int]
    action: UserCommitFilesActionHeader.ActionType
    file_path: bytes
    previous_path: bytes
    base64_content: bool
    execute_filemode: bool
    infer_content: bool
    def __init__(self, action: _Optional[_Union[UserCommitFilesActionHeader.ActionType, str]] = ..., file_path: _Optional[bytes] = ..., previous_path: _Optional[bytes] = ..., base64_content: _Optional[bool] = ..., execute_filemode: _Optional[bool] = ..., infer_content: _Optional[bool] = ...) -> None: ...

class UserCommitFilesAction(_message.Message):
    __slots__ = ("header", "content")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    header: UserCommitFilesActionHeader
    content: bytes
    def __init__(self, header: _Optional[_Union[UserCommitFilesActionHeader, _Mapping]] = ..., content: _Optional[bytes] = ...) -> None: ...

class UserCommitFilesRequestHeader(_message.Message):
    __slots__ = ("repository", "user", "branch_name", "commit_message", "commit_author_name", "commit_author_email", "start_branch_name", "start_repository", "force", "start_sha", "timestamp", "expected_old_oid")
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    BRANCH_NAME_FIELD_NUMBER: _ClassVar[int]
    COMMIT_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_AUTHOR_NAME_FIELD_NUMBER: _ClassVar[int]
    COMMIT_AUTHOR_EMAIL_FIELD_NUMBER: _ClassVar[int]
    START_BRANCH_NAME_FIELD_NUMBER: _ClassVar[int]
    START_REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    START_SHA_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_OLD_OID_FIELD_NUMBER: _ClassVar[int]
    repository: _shared_pb2.Repository
    user: _shared_pb2.User
    branch_name: bytes
    commit_message: bytes
    commit_author_name: bytes
    commit_author_email: bytes
    start_branch_name: bytes
    start_repository: _shared_pb2.Repository
    force: bool
    start_sha: str
    timestamp: _timestamp_pb2.Timestamp
    expected_old_oid: str
    def __init__(self, repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., user: _Optional[_Union[_shared_pb2.User, _Mapping]] = ..., branch_name: _Optional[bytes] = ..., commit_message: _Optional[bytes] = ..., commit_author_name: _Optional[bytes] = ..., commit_author_email: _Optional[bytes] = ..., start_branch_name: _Optional[bytes] = ..., start_repository: _Optional[_Union[_shared_pb2.Repository, _Mapping]] = ..., force: _Optional[bool] = ..., start_sha: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_old_oid: _Optional[str] = ...) -> None: ...

class UserCommitFilesRequest(_message.Message):
    __slots__ = ("header", "action")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    header: UserCommitFilesRequestHeader
    action: UserCommitFilesAction
    def __init__(self, header: _Optional[_Union[UserCommitFilesRequestHeader, _Mapping]] = ..., action: _Optional[_Union[UserCommitFilesAction, _Mapping]] = ...) -> None: ...

class UserCommitFilesResponse(_message.Message):
    __slots__ = ("branch_update", "index_error", "pre_receive_error")
    BRANCH_UPDATE_FIELD_NUMBER: _ClassVar[int]
    INDEX_ERROR_FIELD_NUMBER: _ClassVar[int]
    PRE_RECEIVE_ERROR_FIELD_NUMBER: _ClassVar[int]
    branch_update: OperationBranchUpdate
    index_error: str
    pre_receive_error: str
    def __init__(self, branch_update: _Optional[_Union[OperationBranchUpdate, _Mapping]] = ..., index_error: _Optional[str] = ..., pre_receive_error: _Optional[str] = ...) -> None: ...

class UserCommitFilesError(_message.Message):
    __slots__ = ("access_check", "index_update", "custom_hook")
    ACCESS_CHECK_FIELD_NUMBER: _ClassVar[int]
    INDEX_UPDATE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_HOOK_FIELD_NUMBER: _ClassVar[int]
    access_check: _errors_pb2.AccessCheckError
    index_update: _errors_pb2.IndexError
    custom_hook: _errors_pb2.CustomHookError
    def __init__(self, access_check: _Optional[_Union[_errors_pb2.AccessCheckError, _Mapping]] = ..., index_update: _Optional[_Union[_errors_pb2.IndexError, _Mapping]] = ..., custom_hook: _Optional[_Union[_errors_pb2.CustomHookError, _Mapping]] = ...) -> None: ...
