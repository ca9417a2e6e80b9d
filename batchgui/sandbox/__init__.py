"""The embedded local sandbox: one loopback endpoint that speaks the AWS APIs the app uses.

Public interface (the app's composition root and `batchgui-sandbox` use only this):
`start_in_process(data_dir, host, port, seed) -> RunningSandbox`.
"""

from batchgui.sandbox.server import RunningSandbox, start_in_process
from batchgui.sandbox.settings import SandboxSettings

__all__ = ["RunningSandbox", "SandboxSettings", "start_in_process"]
