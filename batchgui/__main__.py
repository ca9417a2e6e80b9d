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
    _reattach_std_streams()
    sys.argv = [module, *argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return True


def _reattach_std_streams() -> None:
    """A windowed (console-less) frozen program starts with sys.stdout/stderr set to None, even when
    its parent gave it pipes; a job's output must still reach those pipes (and so the job's log)."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        if getattr(sys, name) is None:
            try:
                stream = open(fd, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115 - lives as long as the process
            except OSError:
                continue  # no such descriptor: output goes nowhere, as before
            setattr(sys, name, stream)


def main() -> None:
    if getattr(sys, "frozen", False) and run_module_if_asked(sys.argv):
        sys.exit(0)
    from batchgui.app import run

    sys.exit(run())


if __name__ == "__main__":
    main()
