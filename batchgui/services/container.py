"""The Services object: every feature facade, built once by the composition root.

Panels are given only the facades they use, through their constructors; nothing looks a service up.
"""

from __future__ import annotations

from dataclasses import dataclass

from batchgui.services.app_info import AppInfo
from batchgui.services.connections import ConnectionManager
from batchgui.services.consumables import ConsumablesService
from batchgui.services.inventory import InventoryService
from batchgui.services.job_monitor import JobMonitor
from batchgui.services.jobs import JobsService
from batchgui.services.pricing import PricingService
from batchgui.services.runnable import RunnableService
from batchgui.services.runner import Runner
from batchgui.services.submission import SubmissionsService
from batchgui.services.tasks import TaskSet
from batchgui.services.training import TrainingService
from batchgui.services.upload import UploadsService


@dataclass(frozen=True)
class Services:
    runner: Runner
    tasks: TaskSet
    connections: ConnectionManager
    inventory: InventoryService
    jobs: JobsService
    monitor: JobMonitor
    app_info: AppInfo
    submissions: SubmissionsService
    uploads: UploadsService
    runnable: RunnableService
    pricing: PricingService
    consumables: ConsumablesService
    training: TrainingService
