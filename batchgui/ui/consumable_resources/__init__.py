"""The consumable resources feature: panel.py (list with in use / total and the jobs holding and
waiting, create, change the total, delete, tags) and dialog.py, through the ConsumablesService facade."""
