"""PySide6 widgets, item models, dialogs, wizard and plots: the only layer that imports Qt.

By feature, each with its panel, models and dialogs: compute_envs/, queues/, job_definitions/,
scheduling_policies/, jobs/, monitor/, submissions/, csv_wizard/; widgets/ holds what they share.
main_window.py puts the panels together, connection_bar.py picks the connection; about.py,
shortcuts.py, dialogs.py, settings.py and event_loop.py (qasync) serve the whole window.
Panels talk to the facades they are given (services/), never to aws/, boto3 or the Runner.
"""
