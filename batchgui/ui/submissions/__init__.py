"""The submissions feature: its panel and dialogs."""
