"""asyncio orchestration, Qt-free: the feature facades the panels are given.

Each facade is a BoundService (bound.py) on the one ConnectionManager (connections.py) and calls
through the one Runner (runner.py: every blocking call goes through `Runner.run`): inventory.py
(+ inventory_delete.py), jobs.py and log_follower.py, job_monitor.py (+ sample_store.py),
submission.py (+ submitter.py, journal.py), upload.py (+ csv_session.py, the CSV wizard's state);
container.py holds them all as `Services`, built once by app.py. budget.py is the one rate limiter,
memory.py the process-wide GC policy; tasks.py (background tasks, `gather_limited` for a few calls at a
time), events.py, files.py and app_info.py are small helpers.
"""
