"""The queues feature: its panel and dialogs."""
