"""The embedded local sandbox: one loopback endpoint that speaks the AWS APIs the app uses.

Public interface (the app's composition root and `batchgui-sandbox` use only this):

    sb = start_in_process(data_dir, host="127.0.0.1", port=0, seed=True)   # returns when the API answers
    sb.endpoint_url, sb.region, sb.access_key_id, sb.secret_access_key, sb.data_dir
    sb.isolation ("bwrap" or "none": how jobs are isolated, also in the store's meta)
    sb.connection_info() -> dict[str, str] (isolation included); sb.wait_services(timeout) -> bool; sb.stop()

`start_in_process` also takes a keyword-only `settings=SandboxSettings(...)` (delays, limits).
`wait_services` blocks until moto's half (S3, DynamoDB, IAM, STS, EC2) is loaded and the demo
bucket/table exist; requests to those services wait for it anyway.

Layout: server.py (front door: SigV4 check, routing), httpd.py (keep-alive WSGI server),
sigv4.py, batch_api.py (routing to api/: one module per Batch resource), logs_api.py, store.py
(SQLite connections, schema version and migrations), sql.py (every SQL statement), engine.py (the
loop that moves jobs through their states), placement.py (pure: which job goes where),
fleet.py (Fargate usage and simulated EC2 instances), executor.py (job processes, logs, timeouts),
isolation.py (bubblewrap detection and arguments), launcher.py (the clean-environment process that
starts jobs and kills them when the sandbox dies), lifecycle.py (status transitions, dependencies,
arrays), settings.py, demo/ (seed.py: the seeded names; processor.py: the CSV row processor), cli.py.

Linux/POSIX only (process groups, SOCK_SEQPACKET, bubblewrap where installed). Jobs run as host
processes without Docker, so vCPU/memory are scheduling figures, not enforced limits.
"""

from batchgui.sandbox.server import RunningSandbox, start_in_process
from batchgui.sandbox.settings import SandboxSettings

__all__ = ["RunningSandbox", "SandboxSettings", "start_in_process"]
