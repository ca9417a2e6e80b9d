"""asyncio orchestration, Qt-free: every blocking call goes through `Runner.run`."""
