"""The scheduling policies feature: panel.py (list, create, edit, delete, tags) and dialog.py (fair-share
decay, compute reservation, share weights), through the InventoryService facade."""
