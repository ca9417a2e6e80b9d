"""boto3 gateways: synchronous, Qt-free, asyncio-free. They return domain objects.

boto3 and botocore are imported inside functions here, not at module level, so that the window
paints before the SDK is loaded (startup target 1 s).
"""
