"""PyInstaller's entry script: the frozen `batchgui` program is `batchgui.__main__.main`."""

from batchgui.__main__ import main

main()
