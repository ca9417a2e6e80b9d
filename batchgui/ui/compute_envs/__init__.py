"""The compute envs feature: its panel and dialogs."""
