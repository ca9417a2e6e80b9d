"""The job definitions feature: panel.py (definitions by name with their revisions, compare, deregister,
tags, submit from one) and form.py (register from a form or from JSON, checked before sending),
through the InventoryService facade."""
