"""The jobs feature: panel.py (queues, filters, status tabs, loading and the live poll), actions.py
(submit, clone, resubmit, cancel/terminate), inspector.py (the selected job's details, log and JSON),
model.py and columns.py (the 100,000-row table), submit_dialog.py, details.py, log_view.py.

Everything AWS goes through the JobsService facade (services/jobs.py) the panel is given."""
