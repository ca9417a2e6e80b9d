"""`python -m batchgui` and the `batchgui` command."""

from __future__ import annotations

import runpy
import sys


def run_module_if_asked(argv: list[str]) -> bool:
    """In a frozen app, `batchgui -m MODULE ARGS...` runs MODULE the way `python -m` would.

    A PyInstaller build has no Python interpreter beside it: `sys.executable` is this program, so
    the sandbox's `python -m batchgui.sandbox.demo.processor ...` jobs (the sandbox swaps a bare
    `python` for `sys.executable`) arrive here. Returns False when argv asks for something else.
    """
    if len(argv) < 3 or argv[1] not in ("-m", "--run-module"):
        return False
    module = argv[2]
    sys.argv = [module, *argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return True


def main() -> None:
    if getattr(sys, "frozen", False) and run_module_if_asked(sys.argv):
        sys.exit(0)
    from batchgui.app import run

    sys.exit(run())


if __name__ == "__main__":
    main()
