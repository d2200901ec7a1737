"""Generate the Python code of the Gitaly subset (``make proto``).

Compiles ``proto/gitaly/*.proto`` with ``grpc_tools.protoc`` (pinned with grpcio and
protobuf) into ``conman_adapters/gitaly/_pb/``: messages (``*_pb2.py``), typing stubs
(``*_pb2.pyi``) and service stubs (``*_pb2_grpc.py``). protoc writes imports as if the
proto directory were on ``sys.path`` (``import shared_pb2``); they are rewritten to
absolute package imports. The output depends only on the inputs (sorted file lists,
fixed header), so ``tests/contract/test_gitaly_codegen.py`` can regenerate into a
temporary directory and compare byte for byte.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

__all__ = ["PACKAGE", "PB_DIR", "PROTO_DIR", "compile_descriptor_set", "generate", "main"]

PACKAGE = "conman_adapters.gitaly._pb"
ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "proto" / "gitaly"
PB_DIR = Path(__file__).resolve().parent / "_pb"

_INIT = '"""Generated from proto/gitaly by ``make proto``. Do not edit."""\n'
_IMPORT = re.compile(r"^import (\w+_pb2)( as \w+)?$", re.MULTILINE)
_FROM_IMPORT = re.compile(r"^from (\w+_pb2) import", re.MULTILINE)


def _proto_files() -> list[str]:
    return sorted(p.name for p in PROTO_DIR.glob("*.proto"))


def _well_known_include() -> str:
    return str(resources.files("grpc_tools") / "_proto")


def _protoc(args: list[str]) -> None:
    from grpc_tools import protoc  # dev dependency: imported only when generating

    argv = ["grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{_well_known_include()}", *args]
    code = protoc.main(argv)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}: {' '.join(argv)}")


def _fix_imports(text: str) -> str:
    text = _IMPORT.sub(lambda m: f"from {PACKAGE} import {m.group(1)}{m.group(2) or ''}", text)
    return _FROM_IMPORT.sub(lambda m: f"from {PACKAGE}.{m.group(1)} import", text)


def generate(out_dir: Path) -> list[Path]:
    """Write the generated package into ``out_dir`` (replacing it); return the files."""
    with tempfile.TemporaryDirectory() as raw:
        _protoc(
            [f"--python_out={raw}", f"--pyi_out={raw}", f"--grpc_python_out={raw}", *_proto_files()]
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        written = [out_dir / "__init__.py"]
        written[0].write_text(_INIT, encoding="utf-8")
        for src in sorted(Path(raw).iterdir()):
            dst = out_dir / src.name
            dst.write_text(_fix_imports(src.read_text(encoding="utf-8")), encoding="utf-8")
            written.append(dst)
    return written


def compile_descriptor_set(out_file: Path) -> None:
    """Compile the subset to a ``FileDescriptorSet`` including its imports."""
    _protoc([f"--descriptor_set_out={out_file}", "--include_imports", *_proto_files()])


def main() -> int:
    files = generate(PB_DIR)
    sys.stdout.write(f"generated {len(files)} files in {PB_DIR.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
