"""The Gitaly subset in ``proto/gitaly`` agrees with the published Gitaly 18.8 protocol.

The reference is the set of serialized ``FileDescriptorProto``s embedded in the stubs
of the PyPI package ``hgitaly==18.8.3`` (GITALY.md). It is GPL: the test downloads it
into a cache directory, never vendors it and never imports it — the descriptor bytes
are read from the ``AddSerializedFile(b'...')`` literal with ``ast``. When PyPI cannot
be reached the test fails (CI reaches PyPI).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from conman_adapters.gitaly.codegen import compile_descriptor_set

REFERENCE = "hgitaly==18.8.3"
CACHE = Path(__file__).resolve().parents[2] / ".pytest_cache" / "hgitaly-18.8.3"

# GITALY.md: the only allowed differences.
ABSENT_FROM_REFERENCE = {
    ".gitaly.ConflictsService",
    ".gitaly.ListConflictFilesRequest",
    ".gitaly.ListConflictFilesResponse",
    ".gitaly.ConflictFile",
    ".gitaly.ConflictFileHeader",
}
NEWER_FIELDS = {(".gitaly.CommitDiffResponse", 14), (".gitaly.CommitDiffResponse", 15)}

_MSG = descriptor_pb2.DescriptorProto
_ENUM = descriptor_pb2.EnumDescriptorProto
Msg = Any  # protobuf ships no type information
Enum = Any


def _download() -> Path:
    archives = sorted(CACHE.glob("hgitaly-18.8.3*"))
    if not archives:
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / ".gitignore").write_text("*\n")  # GPL: never committed
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", REFERENCE, "-d", str(CACHE)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        archives = sorted(CACHE.glob("hgitaly-18.8.3*"))
        if done.returncode != 0 or not archives:
            pytest.fail(f"cannot download {REFERENCE} from PyPI:\n{done.stdout}\n{done.stderr}")
    return archives[0]


def _pb2_sources(archive: Path) -> Iterator[str]:
    if archive.suffix in {".whl", ".zip"}:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.endswith("_pb2.py"):
                    yield zf.read(name).decode("utf-8")
        return
    with tarfile.open(archive) as tf:
        for member in tf.getmembers():
            if member.name.endswith("_pb2.py"):
                handle = tf.extractfile(member)
                assert handle is not None
                yield handle.read().decode("utf-8")


def serialized_descriptors(source: str) -> list[bytes]:
    """The bytes literals passed to ``AddSerializedFile`` in a generated module."""
    found: list[bytes] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
        ):
            value = ast.literal_eval(node.args[0])
            assert isinstance(value, bytes)
            found.append(value)
    return found


class Index:
    """Messages, enums and services of a set of files, by fully qualified name."""

    def __init__(self, files: list[Any]) -> None:
        self.messages: dict[str, Msg] = {}
        self.enums: dict[str, Enum] = {}
        self.services: dict[str, Any] = {}
        for fd in files:
            prefix = f".{fd.package}"
            for m in fd.message_type:
                self._add_message(prefix, m)
            for e in fd.enum_type:
                self.enums[f"{prefix}.{e.name}"] = e
            for s in fd.service:
                self.services[f"{prefix}.{s.name}"] = s

    def _add_message(self, prefix: str, m: Msg) -> None:
        name = f"{prefix}.{m.name}"
        self.messages[name] = m
        for nested in m.nested_type:
            self._add_message(name, nested)
        for e in m.enum_type:
            self.enums[f"{name}.{e.name}"] = e


def _reserved(ranges: Any, number: int) -> bool:
    return any(r.start <= number < r.end for r in ranges)


def _oneof(m: Msg, f: Any) -> str | None:
    return m.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None


def _compare_message(name: str, ours: Msg, ref: Msg) -> list[str]:
    problems: list[str] = []
    ref_fields = {f.number: f for f in ref.field}
    for f in ours.field:
        where = f"{name}.{f.name} = {f.number}"
        if _reserved(ref.reserved_range, f.number):
            problems.append(f"{where}: number is reserved in the reference")
            continue
        r = ref_fields.get(f.number)
        if r is None:
            if (name, f.number) not in NEWER_FIELDS:
                problems.append(f"{where}: no such field number in the reference")
            continue
        mine = (f.name, f.type, f.type_name, f.label, _oneof(ours, f), f.proto3_optional)
        theirs = (r.name, r.type, r.type_name, r.label, _oneof(ref, r), r.proto3_optional)
        if mine != theirs:
            problems.append(f"{where}: {mine} != reference {theirs}")
    for rr in ours.reserved_range:
        for number in range(rr.start, rr.end):
            if number in ref_fields:
                problems.append(f"{name}: reserves {number}, a field of the reference")
    return problems


def _compare_enum(name: str, ours: Enum, ref: Enum) -> list[str]:
    ref_values = {v.name: v.number for v in ref.value}
    problems = [
        f"{name}.{v.name} = {v.number}: reference has {ref_values.get(v.name)}"
        for v in ours.value
        if ref_values.get(v.name) != v.number
    ]
    problems += [
        f"{name}.{v.name} = {v.number}: number is reserved in the reference"
        for v in ours.value
        if _reserved(ref.reserved_range, v.number)
    ]
    return problems


def _compare_service(name: str, ours: Any, ref: Any) -> list[str]:
    ref_methods = {m.name: m for m in ref.method}
    problems: list[str] = []
    for m in ours.method:
        r = ref_methods.get(m.name)
        if r is None:
            problems.append(f"{name}.{m.name}: no such method in the reference")
            continue
        mine = (m.input_type, m.output_type, m.client_streaming, m.server_streaming)
        theirs = (r.input_type, r.output_type, r.client_streaming, r.server_streaming)
        if mine != theirs:
            problems.append(f"{name}.{m.name}: {mine} != reference {theirs}")
    return problems


def conformance_problems(ours: Index, ref: Index) -> list[str]:
    """Every way ``ours`` disagrees with ``ref`` (empty when conformant)."""
    problems: list[str] = []
    kinds = (
        (ours.services, ref.services, _compare_service),
        (ours.messages, ref.messages, _compare_message),
        (ours.enums, ref.enums, _compare_enum),
    )
    for defined, reference, compare in kinds:
        for name, element in sorted(defined.items()):
            if not name.startswith(".gitaly.") or name in ABSENT_FROM_REFERENCE:
                continue
            if name.rsplit(".", 1)[0] in ABSENT_FROM_REFERENCE:
                continue
            if name not in reference:
                problems.append(f"{name}: not in the reference")
                continue
            problems += compare(name, element, reference[name])
    return problems


@pytest.fixture(scope="module")
def reference() -> Index:
    files = [
        descriptor_pb2.FileDescriptorProto.FromString(raw)
        for source in _pb2_sources(_download())
        for raw in serialized_descriptors(source)
    ]
    assert any(fd.name == "operations.proto" for fd in files), "no operations.proto in hgitaly"
    return Index(files)


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Index:
    out = tmp_path_factory.mktemp("descriptors") / "subset.pb"
    compile_descriptor_set(out)
    return Index(list(descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file))


def test_the_subset_matches_the_hgitaly_reference_descriptors(
    subset: Index, reference: Index
) -> None:
    assert subset.services, "the subset defines no service"
    assert conformance_problems(subset, reference) == []


def test_the_subset_defines_every_service_conman_calls(subset: Index) -> None:
    services = {name.rsplit(".", 1)[1] for name in subset.services}
    assert services == {
        "BlobService",
        "CommitService",
        "ConflictsService",
        "DiffService",
        "OperationService",
        "RefService",
        "RepositoryService",
    }


def test_the_checker_reports_a_renumbered_field_and_a_reserved_number(
    subset: Index, reference: Index
) -> None:
    tampered = Index([])
    tampered.messages = {
        k: _MSG.FromString(v.SerializeToString()) for k, v in subset.messages.items()
    }
    tampered.messages[".gitaly.FindBranchRequest"].field[1].number = 9
    tampered.messages[".gitaly.UserCreateBranchResponse"].field[0].number = 2
    problems = conformance_problems(tampered, reference)
    assert any("FindBranchRequest.name = 9" in p for p in problems)
    assert any("UserCreateBranchResponse.branch = 2: number is reserved" in p for p in problems)


def test_the_checker_reports_a_changed_streaming_shape_and_enum_value(
    subset: Index, reference: Index
) -> None:
    tampered = Index([])
    services = {k: type(v).FromString(v.SerializeToString()) for k, v in subset.services.items()}
    services[".gitaly.RefService"].method[0].server_streaming = False
    tampered.services = services
    enums = {k: _ENUM.FromString(v.SerializeToString()) for k, v in subset.enums.items()}
    enums[".gitaly.ObjectType"].value[1].number = 7
    tampered.enums = enums
    problems = conformance_problems(tampered, reference)
    assert any(p.startswith(".gitaly.RefService.FindLocalBranches") for p in problems)
    assert any(p.startswith(".gitaly.ObjectType.COMMIT = 7") for p in problems)
