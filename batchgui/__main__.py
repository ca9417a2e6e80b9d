"""`python -m batchgui` and the `batchgui` command."""

from __future__ import annotations

import sys


def main() -> None:
    from batchgui.app import run

    sys.exit(run())


if __name__ == "__main__":
    main()
