"""Start the in-process Gitaly-protocol test server on ``127.0.0.1:0``."""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc

from conman_adapters.gitaly._pb import (
    blob_pb2_grpc,
    commit_pb2_grpc,
    conflicts_pb2_grpc,
    diff_pb2_grpc,
    operations_pb2_grpc,
    ref_pb2_grpc,
    repository_pb2_grpc,
)
from tests.gitaly_server.operations import OperationService
from tests.gitaly_server.reads import BlobService, CommitService, ConflictsService, DiffService
from tests.gitaly_server.refs import RefService, RepositoryService
from tests.gitaly_server.state import Faults, State


class GitalyTestServer:
    """A running server: ``address``, ``state`` (call log), ``faults`` and ``stop()``."""

    def __init__(self, root: Path, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.state = State(root, self.faults)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        add = (
            (repository_pb2_grpc.add_RepositoryServiceServicer_to_server, RepositoryService),
            (ref_pb2_grpc.add_RefServiceServicer_to_server, RefService),
            (commit_pb2_grpc.add_CommitServiceServicer_to_server, CommitService),
            (blob_pb2_grpc.add_BlobServiceServicer_to_server, BlobService),
            (diff_pb2_grpc.add_DiffServiceServicer_to_server, DiffService),
            (operations_pb2_grpc.add_OperationServiceServicer_to_server, OperationService),
            (conflicts_pb2_grpc.add_ConflictsServiceServicer_to_server, ConflictsService),
        )
        for register, service in add:
            register_any: Any = register
            register_any(service(self.state), self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self.faults.stopper = self.stop
        self._server.start()

    def stop(self) -> None:
        """Stop at once: in-flight calls are cancelled, new ones are refused."""
        self._server.stop(grace=None)


def start_server(tmp_dir: Path, faults: Faults | None = None) -> tuple[str, Callable[[], None]]:
    """Start a server over bare repositories under ``tmp_dir``; ``(address, stop)``."""
    server = GitalyTestServer(tmp_dir, faults)
    return server.address, server.stop
