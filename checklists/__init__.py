"""The checklists shipped with callqa: package data (`pipeline.checklists`), the default scoring rules."""
