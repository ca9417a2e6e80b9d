"""The jobs feature: its panel and dialogs."""
