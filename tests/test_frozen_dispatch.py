"""`batchgui -m MODULE` (and -c, FILE.py): how a frozen (PyInstaller) app runs the sandbox's Python jobs.

In a frozen app `sys.executable` is the batchgui program itself, so the sandbox's
`python -m batchgui.sandbox.demo.processor ...` arrives as `batchgui -m batchgui.sandbox.demo.processor`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from batchgui.__main__ import main, run_like_python_if_asked


def test_minus_m_runs_the_module_as_main_with_its_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "probe_module.py").write_text(
        "import json, sys\n"
        "from pathlib import Path\n"
        "Path(sys.argv[1]).write_text(json.dumps({'name': __name__, 'argv': sys.argv}))\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    out = tmp_path / "seen.json"
    assert run_like_python_if_asked(["batchgui", "-m", "probe_module", str(out), "--flag", "x y"])
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["name"] == "__main__"
    assert seen["argv"][1:] == [str(out), "--flag", "x y"]


def test_the_demo_processor_runs_through_minus_m(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    with pytest.raises(SystemExit) as exit_info:
        run_like_python_if_asked(["batchgui", "-m", "batchgui.sandbox.demo.processor", "--help"])
    assert exit_info.value.code == 0
    assert "--bucket" in capsys.readouterr().out


def test_the_module_exit_code_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    with pytest.raises(SystemExit) as exit_info:
        run_like_python_if_asked(
            ["batchgui", "--run-module", "batchgui.sandbox.demo.processor", "--bad-flag"]
        )
    assert exit_info.value.code == 2


def test_other_arguments_are_left_to_the_app() -> None:
    assert not run_like_python_if_asked(["batchgui"])
    assert not run_like_python_if_asked(["batchgui", "--screenshot", "x.png"])
    assert not run_like_python_if_asked(["batchgui", "-m"])


def test_an_unknown_module_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    with pytest.raises(ImportError, match="no_such_module"):
        run_like_python_if_asked(["batchgui", "-m", "batchgui.no_such_module"])


def test_only_a_frozen_app_dispatches_minus_m(monkeypatch: pytest.MonkeyPatch) -> None:
    """From a normal install `batchgui -m x` is not an interpreter: argparse rejects it."""
    monkeypatch.setattr(sys, "argv", ["batchgui", "-m", "json.tool"])
    monkeypatch.delattr(sys, "frozen", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2


def test_a_windowed_build_without_stdout_gets_its_pipe_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hello_module.py").write_text("print('hello from the job')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(sys, "stdout", None)
    assert run_like_python_if_asked(["batchgui", "-m", "hello_module"])
    assert sys.stdout is not None
    sys.stdout.flush()
    assert "hello from the job" in capfd.readouterr().out


def test_minus_c_runs_code_with_its_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    code = "import sys; print(__name__, sys.argv[1:])"
    assert run_like_python_if_asked(["batchgui", "-u", "-c", code, "a", "b"])
    assert capsys.readouterr().out.strip() == "__main__ ['a', 'b']"


def test_a_script_path_runs_the_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "job.py"
    script.write_text("import sys\nprint('script', __name__, sys.argv[1:])\nsys.exit(3)\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    with pytest.raises(SystemExit) as exit_info:
        run_like_python_if_asked(["batchgui", str(script), "--x"])
    assert exit_info.value.code == 3
    assert capsys.readouterr().out.strip() == "script __main__ ['--x']"
    # A .py name that is not a file is left to the app (which rejects it).
    assert not run_like_python_if_asked(["batchgui", str(tmp_path / "missing.py")])
