"""The AWS Batch control plane, one module per resource: compute_environments, job_queues,
job_definitions, jobs (submit, cancel, terminate), job_listing (describe, list, snapshot),
scheduling_policies, tags; common holds what they share. Each module's OPERATIONS maps Batch
operation names to functions `(ctx, params) -> answer`; batch_api.py routes requests to them."""
