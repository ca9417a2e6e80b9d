"""The compute environments feature: panel.py (list, edit, enable/disable, tags, delete), wizard.py
(create through the Fargate-or-EC2 advisor; the edit dialog) and wizard_pages.py (its pages and the
subnet/security-group picker). Everything AWS goes through the InventoryService facade."""
