"""batchgui: a desktop app for AWS Batch."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("batchgui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
