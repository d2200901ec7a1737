"""Run every benchmark module and print its figures (``make bench``)."""

from __future__ import annotations

import importlib
import sys

MODULES = ["bench.git_bench", "bench.store_bench", "bench.authoring_bench", "bench.api_bench"]


def main() -> int:
    selected = sys.argv[1:] or MODULES
    for name in selected:
        module = importlib.import_module(name)
        print(f"== {name} ==", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
