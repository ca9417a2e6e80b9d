"""The monitor feature: its panel and dialogs."""
