"""The long fuzz run (issue 10): ``python3 -m bench.fuzz --documents 50000``.

Runs the checks of ``bench/fuzz_cases.py`` (the same as ``tests/test_fuzz.py`` in
CI) on seeded random documents and edit sequences, and keeps going after a
failure: each distinct failure (its exception and where it was raised) is counted
once and its smallest input is saved under ``--out`` for a regression test.

    python3 -m bench.fuzz --documents 50000              # ~1 sequence per 5 documents
    python3 -m bench.fuzz --documents 2000 --sequences 0 --seed 7

Prints the figures for ``docs/benchmarks.md``; exits 1 when a failure was found.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bench import fuzz_cases

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "build" / "fuzz"


class Failures:
    """Distinct failures, each with its smallest input so far."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.found: dict[str, tuple[int, Any]] = {}
        self.total = 0

    def run(self, kind: str, case: Any, check: Callable[..., object], *args: Any) -> None:
        """``check(*args)``; a failure is recorded with ``case``, its input."""
        try:
            check(*args)
        except Exception as exc:  # every exception is a finding; keep going
            self.total += 1
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            detail = str(exc.args[0]) if isinstance(exc, AssertionError) and exc.args else ""
            key = f"{kind}: {type(exc).__name__} at {where} {detail[:80]}".strip()
            size = len(json.dumps(case))
            if key not in self.found or size < self.found[key][0]:
                if key not in self.found:
                    print(f"FAILURE {key}: {str(exc)[:200]}", file=sys.stderr)
                self.found[key] = (size, case)

    def save(self) -> None:
        if not self.found:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        for i, (key, (_size, case)) in enumerate(sorted(self.found.items())):
            record = {"failure": key, "case": case}
            path = self.out / f"failure-{i:03d}.json"
            path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=5000, help="mutated documents")
    parser.add_argument(
        "--sequences", type=int, default=None, help="edit sequences (default: documents / 5)"
    )
    parser.add_argument(
        "--expressions", type=int, default=None, help="expressions (default: documents)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where failures go")
    args = parser.parse_args(argv)
    sequences = args.documents // 5 if args.sequences is None else args.sequences
    count_expressions = args.documents if args.expressions is None else args.expressions
    chooser = fuzz_cases.RandomChooser(random.Random(args.seed))
    failures = Failures(args.out)
    started = time.perf_counter()
    steps = 0
    for _ in range(count_expressions):
        source = fuzz_cases.expression(chooser)
        probes = [chooser.integer(0, len(source)) for _ in range(2)]
        failures.run("expression", source, fuzz_cases.check_expression, source, probes)
    for i in range(args.documents):
        text = fuzz_cases.document(chooser)
        probes = fuzz_cases.offsets(chooser, text)
        failures.run("document", text, fuzz_cases.check_document, text, probes)
        if (i + 1) % 1000 == 0:
            print(f"... {i + 1} documents", file=sys.stderr)
    for _ in range(sequences):
        texts = fuzz_cases.sequence(chooser)
        steps += len(texts)
        at = [fuzz_cases.offsets(chooser, t, 2) for t in texts]
        failures.run("sequence", texts, fuzz_cases.check_sequence, texts, at)
    elapsed = time.perf_counter() - started
    failures.save()
    print(
        f"# {platform.node() or 'machine'}, Python {platform.python_version()}, {date.today()}, "
        f"seed {args.seed}"
    )
    print(
        f"{args.documents} documents, {sequences} edit sequences ({steps} texts), "
        f"{count_expressions} expressions in {elapsed:.0f} s: "
        f"{len(failures.found)} distinct failures ({failures.total} failing cases)"
    )
    for key in sorted(failures.found):
        print(f"  {key}")
    if failures.found:
        print(f"cases saved under {args.out}")
    return 1 if failures.found else 0


if __name__ == "__main__":
    sys.exit(main())
