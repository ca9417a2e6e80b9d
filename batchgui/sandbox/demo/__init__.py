"""The seeded demo: S3 -> Batch -> DynamoDB on one machine (see seed.py and processor.py)."""
