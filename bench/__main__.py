"""`python -m bench load|run|all`: Engage's benchmark harness (see bench/README.md)."""

from __future__ import annotations

import argparse
import sys

from bench.common import DEFAULT_DATABASE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load the bench data set with COPY, then measure Engage and the ceiling app "
        "with wrk on loopback. Results go to bench/results/<date>.json and bench/README.md.",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"dedicated database, dropped and recreated by `load` (default {DEFAULT_DATABASE}); "
        "the server is BENCH_PG_SERVER (default postgresql://postgres@127.0.0.1:5432)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", help="(re)create the database, migrate, COPY the data set")
    _load_options(load)

    run = sub.add_parser("run", help="run the scenarios against the loaded database")
    _run_options(run)

    profile = sub.add_parser(
        "profile",
        help="run scenarios with py-spy attached to the worker; writes bench/.data/profiles "
        "(the figures of a profiled run are not results)",
    )
    _run_options(profile)

    rerender = sub.add_parser(
        "report", help="render bench/README.md's table again from a results file"
    )
    rerender.add_argument(
        "results", nargs="?", help="bench/results/<date>.json (default: the newest)"
    )

    both = sub.add_parser("all", help="load, then run")
    _load_options(both)
    _run_options(both)
    return parser


def _load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the full data set (1 = 1,000,000 opportunities and leads; "
        "0.01 for a quick check)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--no-opportunities",
        dest="opportunities",
        action="store_false",
        help="load no opportunities (a quicker data set for the lead and search scenarios)",
    )


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duration", type=int, default=15, help="seconds per scenario (default 15)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds (default 3)")
    parser.add_argument(
        "--single-duration",
        type=int,
        default=10,
        help="seconds of the one-connection run after each scenario (default 10; 0 skips it)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--batch-connections",
        type=int,
        default=4,
        help="wrk connections for POST /leads/batch (default 4: each carries 1000 leads)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SCENARIO",
        help="run only these scenarios (repeatable); `--only list` shows the names",
    )
    parser.add_argument(
        "--no-readme",
        action="store_true",
        help="write the results JSON but leave bench/README.md alone",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "report":
        import json
        from pathlib import Path

        from bench import report
        from bench.common import RESULTS_DIR

        full = [p for p in RESULTS_DIR.glob("*.json") if not p.stem.endswith("-partial")]
        path = Path(args.results) if args.results else max(full)
        report.render_readme(json.loads(path.read_text()))
        print(f"rendered {path} into bench/README.md")
        return 0
    if args.command in ("load", "all"):
        from bench import loader

        loader.run(args.database, args.scale, args.seed, args.opportunities)
    if args.command in ("run", "all", "profile"):
        from bench import runner

        return runner.main(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
