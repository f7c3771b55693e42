"""README's fault table (issue 8): runs every class of fault against the real program and prints a
Markdown table of what was tried and whether everything held.

    .venv/bin/python bench/fault_table.py            # the full table (several minutes)
    .venv/bin/python bench/fault_table.py --quick    # fewer kills and fuzz cases

It runs the cases itself, through the same functions as ``tests/test_hardening_*.py`` (real local
servers on 127.0.0.1, the real ``rsiwatch`` command line in subprocesses, a real ``candidates.db``); it
does not read a pytest run.  Exit status 1 when any class did not hold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import test_hardening_concurrent  # noqa: E402
import test_hardening_config  # noqa: E402
import test_hardening_crash  # noqa: E402
import test_hardening_feeds  # noqa: E402
import test_hardening_review  # noqa: E402
import test_hardening_servers  # noqa: E402
from hardening_support import SHARED_FEEDS, FaultResult  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 kills, 600 config cases (the pytest sizes)")
    parser.add_argument("--seed", type=int, default=8, help="seed for kill timing and the config fuzzer")
    args = parser.parse_args()
    kills, fuzz, fuzz_cli, fuzz_proc = (10, 600, 150, 8) if args.quick else (30, 3000, 400, 20)
    shared = (SHARED_FEEDS / "feedparser_illformed").is_dir()
    plan = [
        ("servers", lambda d: test_hardening_servers.run(d)),
        ("feeds", lambda d: test_hardening_feeds.run(d, include_shared=shared)),
        ("crash", lambda d: test_hardening_crash.run(d, kills=kills, seed=args.seed)),
        ("concurrent", lambda d: test_hardening_concurrent.run(d, decisions=1000, threads=8)),
        ("review", lambda d: test_hardening_review.run(d)),
        ("config", lambda d: test_hardening_config.run(d, cases=fuzz, cli_cases=fuzz_cli, process_cases=fuzz_proc,
                                                        seed=args.seed)),
    ]
    results: list[tuple[FaultResult, float]] = []
    with tempfile.TemporaryDirectory(prefix="rsiwatch-faults-") as tmp:
        for name, run in plan:
            print(f"fault_table: {name} ...", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                result = run(Path(tmp) / name)
            except Exception as exc:
                result = FaultResult(name, failures=[f"harness error: {type(exc).__name__}: {exc}"])
            results.append((result, time.monotonic() - started))
            print(f"fault_table: {name}: {'held' if result.ok else 'FAILED'} ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    print("| class of fault | cases tried | result |")
    print("| --- | ---: | --- |")
    for result, seconds in results:
        if result.ok:
            verdict = "held: " + "; ".join([result.held, *result.notes])
        else:
            verdict = f"**FAILED** ({len(result.failures)}): " + result.failures[0]
        print(f"| {result.fault} | {result.cases} | {verdict.replace('|', '/')} ({seconds:.0f} s) |")
    if not shared:
        print("\n(../shared/feeds is absent: feedparser's ill-formed corpus was not tried.)")
    return 0 if all(r.ok for r, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
