"""Structured gRPC error details (``grpc-status-details-bin``) without googleapis.

Gitaly attaches typed errors (``UserRevertError``, ``UpdateReferencesError``...) to a
failed call as a ``google.rpc.Status`` in the trailing metadata key
``grpc-status-details-bin``. That message lives in googleapis-common-protos, which
conman does not depend on; its three fields are declared here in a private descriptor
pool (so an installed copy of the real one never clashes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool, message_factory

__all__ = ["DETAILS_KEY", "decode_details", "encode_status"]

DETAILS_KEY = "grpc-status-details-bin"
_TYPE_PREFIX = "type.googleapis.com/"


def _status_class() -> Any:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(any_pb2.DESCRIPTOR.serialized_pb)
    fdp = descriptor_pb2.FileDescriptorProto(
        name="conman/google_rpc_status.proto",
        package="google.rpc",
        dependency=["google/protobuf/any.proto"],
        syntax="proto3",
    )
    msg = fdp.message_type.add(name="Status")
    f = descriptor_pb2.FieldDescriptorProto
    msg.field.add(name="code", number=1, type=f.TYPE_INT32, label=f.LABEL_OPTIONAL)
    msg.field.add(name="message", number=2, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    msg.field.add(
        name="details",
        number=3,
        type=f.TYPE_MESSAGE,
        label=f.LABEL_REPEATED,
        type_name=".google.protobuf.Any",
    )
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("google.rpc.Status"))


_Status = _status_class()


def encode_status(code: int, message: str, details: Sequence[Any]) -> bytes:
    """Serialize a ``google.rpc.Status`` with ``details`` packed as ``Any``."""
    status = _Status(code=code, message=message)
    for detail in details:
        name = detail.DESCRIPTOR.full_name
        status.details.add(type_url=f"{_TYPE_PREFIX}{name}", value=detail.SerializeToString())
    return cast(bytes, status.SerializeToString())


def decode_details(metadata: Sequence[tuple[str, str | bytes]] | None) -> dict[str, bytes]:
    """The packed details of a failed call by message full name (``gitaly.UserRevertError``).

    Unparseable details are ignored: they only refine an error the status code
    already classifies.
    """
    found: dict[str, bytes] = {}
    for key, value in metadata or ():
        if key != DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = _Status.FromString(value)
        for detail in status.details:
            type_url = str(detail.type_url)
            if type_url.startswith(_TYPE_PREFIX):
                found[type_url[len(_TYPE_PREFIX) :]] = bytes(detail.value)
    return found
