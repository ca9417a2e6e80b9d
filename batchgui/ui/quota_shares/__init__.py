"""The quota shares feature (capacity per team or project inside a SAGEMAKER_TRAINING job queue):
panel.py (list across the queues, create, change, enable/disable, delete, tags) and dialog.py,
through the TrainingService facade."""
