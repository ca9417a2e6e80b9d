"""The scheduling policies feature: its panel and dialogs."""
