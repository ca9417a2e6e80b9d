"""The monitor feature: panel.py (tiles, queue table, controls), plots.py (pyqtgraph), tray.py
(desktop notifications). The panel is given the JobMonitor facade (services/job_monitor.py), which
binds itself to the connection."""
