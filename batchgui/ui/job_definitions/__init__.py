"""The job definitions feature: its panel and dialogs."""
