"""Local files the UI writes (exports, saved logs), written on a worker so the window never waits."""

from __future__ import annotations

from pathlib import Path

from batchgui.services.runner import Runner


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


class FileService:
    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    async def write_text(self, path: Path, text: str) -> None:
        await self._runner.run(_write_text, path, text)
