"""The service jobs feature (SageMaker training jobs submitted through Batch): panel.py (list across the
SAGEMAKER_TRAINING queues, inspect, submit, change priority, terminate, tags) and dialog.py, through
the TrainingService facade. On the local sandbox the training is simulated."""
