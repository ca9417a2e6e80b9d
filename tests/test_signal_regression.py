"""PySide6 6.12.0 on Python 3.11 aborted after a few hundred Signal.emit() calls (a leaked reference
to True per emit). This test emits 10,000 signals of several types; the process must survive."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    no_args = Signal()
    flag = Signal(bool)
    number = Signal(int)
    text = Signal(str)
    anything = Signal(object)


def test_ten_thousand_emits_of_several_types_survive(qapp: Any) -> None:
    emitter = Emitter()
    received: list[object] = []
    emitter.no_args.connect(lambda: received.append(None))
    emitter.flag.connect(received.append)
    emitter.number.connect(received.append)
    emitter.text.connect(received.append)
    emitter.anything.connect(received.append)
    for i in range(2000):
        emitter.no_args.emit()
        emitter.flag.emit(i % 2 == 0)
        emitter.number.emit(i)
        emitter.text.emit(str(i))
        emitter.anything.emit({"i": i})
    assert len(received) == 10_000
    assert received[-1] == {"i": 1999}
    assert sum(1 for value in received if value is True) == 1000


def test_installed_pyside6_is_below_the_crashing_release() -> None:
    import PySide6

    major, minor = (int(p) for p in PySide6.__version__.split(".")[:2])
    assert (major, minor) < (6, 12), "PySide6 6.12.0 aborts Python 3.11; pyproject pins <6.12"
