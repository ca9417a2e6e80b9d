"""The submissions feature: panel.py (past CSV submissions from the journal, per-row status and history,
resume, export, results) and resubmit.py (failed rows again, with changes shown before sending),
through the SubmissionsService facade."""
