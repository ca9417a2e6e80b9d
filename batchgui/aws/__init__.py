"""boto3 gateways: synchronous, Qt-free, asyncio-free. Typed requests in (`to_api()`), domain objects out.

One class per service, each a `Gateway` (gateway.py) over one client: batch.py (reads and job calls),
batch_admin.py (creating and changing Batch resources), consumables.py, training.py, logs.py, s3.py,
dynamodb.py, ec2.py, ecs.py, iam.py, sts.py, pricing.py; session.py makes a connection's clients (with
timeouts), errors.py turns botocore's exceptions into domain/errors.py's types (and reads an answer's
error code and HTTP status for the gateways). gateway.py also reads a paginated listing whole, once for
all of them (`Gateway._paged`, `every_page`). Called only from services/, through the Runner.

boto3 and botocore are imported inside functions here, not at module level, so that the window
paints before the SDK is loaded (startup target 1 s).
"""
