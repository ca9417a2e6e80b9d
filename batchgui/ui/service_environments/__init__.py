"""The service environments feature (SageMaker Training capacity for SAGEMAKER_TRAINING job queues):
panel.py (list, create, change the instance limit, enable/disable, delete, tags) and dialog.py,
through the TrainingService facade."""
