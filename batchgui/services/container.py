"""The Services object: every feature facade, built once by the composition root.

Panels are given only the facades they use, through their constructors; nothing looks a service up.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchgui.services.connections import ConnectionManager
from batchgui.services.inventory import InventoryService
from batchgui.services.runner import Runner
from batchgui.services.tasks import TaskSet


@dataclass(frozen=True)
class Services:
    runner: Runner
    tasks: TaskSet
    connections: ConnectionManager
    inventory: InventoryService
