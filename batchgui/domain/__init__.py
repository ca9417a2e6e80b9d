"""Pure dataclasses and rules: no I/O, no Qt, no AWS SDK. Each rule is written once, here.

batch.py (the Batch objects, `from_api`), job_detail.py, job_logs.py, job_resources.py, job_tracking.py
(jobs as DescribeJobs, CloudWatch Logs and the poller see them); typed requests with `to_api()`:
job_requests.py, inventory_requests.py, definition_request.py, scheduling.py; the rules: names.py,
fargate.py (the one vCPU/memory table), instance_types.py (the EC2 catalogue), job_platforms.py
(Fargate or EC2 per queue and definition), runnable.py ("why RUNNABLE"), advisor.py (Fargate or EC2
for a new environment), problems.py and errors.py (what the UI says to a person), outcomes.py;
csv_reader.py, csv_check.py, csv_plan.py (the CSV path: read, check, plan the SubmitJob requests);
connection.py, network.py; live monitoring: samples.py (a sample's fields), history.py (24 h of samples,
throughput, the "Now" figures), plot_data.py (decimation for drawing, the CSV export).
"""
