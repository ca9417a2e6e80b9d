"""The Overview panel: the landing page, with links into every other panel."""
