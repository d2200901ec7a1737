"""A Gitaly-protocol test server over real bare repositories (test suite only).

``start_server(tmp_dir) -> (address, stop)`` starts it in-process on 127.0.0.1:0;
``GitalyTestServer`` also exposes the call log and the ``Faults`` hooks (delay a
method, stop the server in the middle of a call, fail the next calls of a method).
"""

from tests.gitaly_server.server import GitalyTestServer, start_server
from tests.gitaly_server.state import Faults

__all__ = ["Faults", "GitalyTestServer", "start_server"]
