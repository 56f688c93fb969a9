"""``python -m routing.bench matrix|solve|day ...``: the benchmark entry points."""

import sys


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("matrix", "solve", "day"):
        print("usage: python -m routing.bench matrix|solve|day [options]  (--help for each)",
              file=sys.stderr)
        return 2
    if argv[0] == "matrix":
        from .matrix import main as run
    elif argv[0] == "day":
        from .day import main as run
    else:
        from .solve import main as run
    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
