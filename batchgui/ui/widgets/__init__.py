"""What the feature panels share: panel.py (the Panel base, refresh, list-with-details), actions.py
(InventoryPanel: actions on the selected row, tags, enable/disable, delete), table_model.py (typed rows,
sorted and filtered in the model), forms.py (ApplyDialog, RequestDialog, problem lists, form fields,
awaiting a dialog), json_editor.py, pairs.py (key/value tables, the tags dialog), delete_progress.py,
notifications.py and view_state.py (splitters, headers, table shortcuts)."""
