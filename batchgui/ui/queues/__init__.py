"""The job queues feature: panel.py (queues with job counts by status, front of queue, enable/disable,
tags, delete) and dialog.py (create/edit: ordered compute environments, scheduling policy, stuck-job
actions), through the InventoryService facade."""
