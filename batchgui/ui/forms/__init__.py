"""Create/edit dialogs and wizards for the Batch resources."""
