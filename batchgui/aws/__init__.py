"""boto3 gateways: synchronous, Qt-free, asyncio-free. Typed requests in (`to_api()`), domain objects out.

One class per service, each a `Gateway` (gateway.py) over one client: batch.py (reads and job calls),
batch_admin.py (creating and changing Batch resources), logs.py, s3.py, dynamodb.py, ec2.py, iam.py,
sts.py; session.py makes a connection's clients (with timeouts), errors.py turns botocore's
exceptions into domain/errors.py's types. Called only from services/, through the Runner.

boto3 and botocore are imported inside functions here, not at module level, so that the window
paints before the SDK is loaded (startup target 1 s).
"""
