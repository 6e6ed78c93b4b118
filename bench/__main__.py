"""Run every ``bench/bench_*.py`` module (or the ones named) and print their figures.

Each benchmark module has ``main(argv: list[str]) -> int`` and prints its own results,
always side by side with a baseline measured in the same run: these machines are noisy,
so ratios carry over where absolute times do not.

    python -m bench                 # all benchmarks, default sizes
    python -m bench sandbox_pages   # only bench/bench_sandbox_pages.py
    python -m bench api_pull --runs 3   # options after the names go to the benchmarks
    python -m bench --list
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def discover() -> list[str]:
    """Names of the benchmark modules, without the ``bench_`` prefix."""
    here = Path(__file__).parent
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("bench_")
    )


def main(argv: list[str]) -> int:
    available = discover()
    if "--list" in argv:
        print("\n".join(available))
        return 0
    # Benchmark names come first; everything from the first option on is theirs.
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names = argv[:first_option] or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    options = argv[first_option:]
    failures = 0
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        status = int(module.main(options) or 0)
        failures += status != 0
        print(f"=== {name}: {time.perf_counter() - started:.1f} s, exit {status} ===", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
