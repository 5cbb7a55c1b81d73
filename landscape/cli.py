"""The ``landscape`` command.

Errors in what the user asked for print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _cmd_list(args) -> int:
    from . import compare, optim, schedules, surfaces

    print("surfaces:  " + ", ".join(surfaces.names()))
    print("optimizers: " + ", ".join(optim.names()))
    print("schedules: " + ", ".join(schedules.names()))
    print("scenarios: " + ", ".join(compare.SCENARIOS))
    return 0


def _cmd_compare(args) -> int:
    from . import compare

    compare.run(args.scenario, n=args.n, seed=args.seed, dtype=args.dtype)
    return 0


def _cmd_bench(args) -> int:
    from . import bench

    bench.run(args)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``landscape`` command."""
    p = argparse.ArgumentParser(
        prog="landscape",
        description="Make the behaviour of optimization algorithms visible and measurable.",
    )
    p.add_argument("--version", action="version", version=f"landscape {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("list", help="list surfaces, optimizers, schedules and scenarios")
    s.set_defaults(func=_cmd_list)

    s = sub.add_parser("compare", help="simulate optimizer comparisons and print tables")
    s.add_argument("scenario", nargs="*", help="scenarios to run (default: all)")
    s.add_argument("--n", type=int, default=4096, help="starts per optimizer (default 4096)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    s.set_defaults(func=_cmd_compare)

    s = sub.add_parser("bench", help="benchmark the fused engine against NumPy and JAX")
    from .bench import add_arguments

    add_arguments(s)
    s.set_defaults(func=_cmd_bench)
    return p


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"landscape {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("landscape: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
