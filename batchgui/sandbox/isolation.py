"""How sandbox jobs are isolated: inside bubblewrap when it is installed and works, else as plain host
processes (the launcher's clean environment still keeps the host's secrets out of theirs)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
ISOLATION_ENV = "BATCHGUI_SANDBOX_ISOLATION"
BWRAP = "bwrap"
NO_ISOLATION = "none"
# System directories a job under bubblewrap may read (those that exist).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")


@functools.cache
def _bwrap_works(path: str) -> bool:
    try:
        probe = subprocess.run(
            [path, "--ro-bind", "/", "/", "--unshare-pid", "--proc", "/proc", "--dev", "/dev", "true"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
            env={},
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def isolation_mode() -> str:
    """`bwrap` when jobs run inside bubblewrap, `none` when they are plain host processes."""
    wanted = os.environ.get(ISOLATION_ENV, "auto").strip().lower() or "auto"
    if wanted == NO_ISOLATION or not sys.platform.startswith("linux"):
        return NO_ISOLATION
    path = shutil.which(BWRAP)
    if path is not None and _bwrap_works(path):
        return BWRAP
    if wanted == BWRAP:
        raise RuntimeError(
            f"{ISOLATION_ENV}=bwrap, but bubblewrap (bwrap) is not installed or does not work here"
        )
    return NO_ISOLATION


def readable_roots(python: str) -> list[str]:
    """What a job's Python needs to read: the interpreter's installation(s) and the batchgui package."""
    roots: set[str] = set()
    for exe in (python, sys.executable):
        for candidate in (Path(exe), Path(exe).resolve()):
            roots.add(str(candidate.parent.parent if candidate.parent.name == "bin" else candidate.parent))
    roots.update({sys.prefix, sys.base_prefix, sys.exec_prefix})
    roots.add(str(Path(PACKAGE_ROOT) / "batchgui"))
    return sorted(r for r in roots if os.path.isdir(r) and r != "/")


@functools.cache
def _system_binds() -> tuple[str, ...]:
    """bubblewrap arguments for the system directories: a symlink (/bin -> usr/bin on merged-/usr
    systems) stays a symlink, which costs far less per job than another bind mount."""
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return tuple(args)


def uncovered(roots: list[str]) -> list[str]:
    """Roots not inside a system directory or another root (each bind mount costs time per job)."""
    bound = [p for p in SYSTEM_DIRS if os.path.isdir(p) and not os.path.islink(p)]
    out: list[str] = []
    for root in sorted(roots, key=len):
        if not any(root == b or root.startswith(b.rstrip("/") + "/") for b in [*bound, *out]):
            out.append(root)
    return out


def bwrap_prefix(bwrap: str, workdir: Path, roots: list[str]) -> list[str]:
    """bubblewrap's arguments for one job: read-only system and Python, writable work dir, private /tmp."""
    return [
        *_bwrap_common(bwrap, tuple(roots)),
        "--bind",
        str(workdir),
        str(workdir),
        "--chdir",
        str(workdir),
        "--",
    ]


@functools.cache
def _bwrap_common(bwrap: str, roots: tuple[str, ...]) -> tuple[str, ...]:
    """What every job's bubblewrap arguments share (computed once: it stats each directory)."""
    args = [
        bwrap,
        "--die-with-parent",
        "--unshare-pid",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    args += _system_binds()
    for root in uncovered(list(roots)):
        args += ["--ro-bind", root, root]
    return tuple(args)
