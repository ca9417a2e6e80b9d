"""`python -m batchgui` and the `batchgui` command."""

from __future__ import annotations

import builtins
import runpy
import sys
from pathlib import Path

# Interpreter options a job command may put before -m/-c; they change nothing that matters here
# (the sandbox already runs jobs unbuffered).
_IGNORED_PYTHON_OPTIONS = frozenset({"-u", "-B", "-E", "-s", "-S", "-I", "-O", "-OO", "-q"})


def run_like_python_if_asked(argv: list[str]) -> bool:
    """In a frozen app, `batchgui -m MODULE ARGS`, `batchgui -c CODE ARGS` and `batchgui FILE.py ARGS`
    behave as they would with `python`. Returns False when argv is for the app itself.

    A PyInstaller build has no Python interpreter beside it: `sys.executable` is this program, so
    the sandbox's jobs that run `python ...` (the sandbox swaps a bare `python`/`python3` for
    `sys.executable`), such as the demo's `python -m batchgui.sandbox.demo.processor ...`, arrive
    here and must not open a window. `--run-module` is a long spelling of `-m`.
    """
    args = argv[1:]
    while args and args[0] in _IGNORED_PYTHON_OPTIONS:
        args = args[1:]
    if len(args) >= 2 and args[0] in ("-m", "--run-module"):
        _reattach_std_streams()
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return True
    if len(args) >= 2 and args[0] == "-c":
        _reattach_std_streams()
        sys.argv = ["-c", *args[2:]]
        code = compile(args[1], "<string>", "exec")
        exec(code, {"__name__": "__main__", "__builtins__": builtins})
        return True
    if args and args[0].endswith(".py") and Path(args[0]).is_file():
        _reattach_std_streams()
        sys.argv = list(args)
        runpy.run_path(args[0], run_name="__main__")
        return True
    return False


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
    if getattr(sys, "frozen", False) and run_like_python_if_asked(sys.argv):
        sys.exit(0)
    from batchgui.app import run

    sys.exit(run())


if __name__ == "__main__":
    main()
