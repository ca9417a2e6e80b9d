"""PySide6 widgets, item models, dialogs, wizard and plots: the only layer that imports Qt."""
