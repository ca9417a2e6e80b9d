"""The embedded local sandbox: one loopback endpoint that speaks the AWS APIs the app uses.

Public interface (the app's composition root and `batchgui-sandbox` use only this):

    sb = start_in_process(data_dir, host="127.0.0.1", port=0, seed=True)   # returns when the API answers
    sb.endpoint_url, sb.region, sb.access_key_id, sb.secret_access_key, sb.data_dir
    sb.connection_info() -> dict[str, str]; sb.wait_services(timeout) -> bool; sb.stop()

`start_in_process` also takes a keyword-only `settings=SandboxSettings(...)` (delays, limits).
`wait_services` blocks until moto's half (S3, DynamoDB, IAM, STS, EC2) is loaded and the demo
bucket/table exist; requests to those services wait for it anyway.

Layout: server.py (front door: SigV4 check, routing), httpd.py (keep-alive WSGI server),
sigv4.py, batch_api.py, logs_api.py, store.py (SQLite), engine.py (scheduler + executor),
lifecycle.py (status transitions, dependencies, arrays), instances.py (EC2 types, Fargate sizes),
settings.py, demo/ (seed.py: the seeded names; processor.py: the CSV row processor), cli.py.

POSIX only (process groups, pidfds where the kernel has them). Jobs run as host processes without
Docker, so vCPU/memory are scheduling figures, not enforced limits.
"""

from batchgui.sandbox.server import RunningSandbox, start_in_process
from batchgui.sandbox.settings import SandboxSettings

__all__ = ["RunningSandbox", "SandboxSettings", "start_in_process"]
