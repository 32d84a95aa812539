"""The report templates: package data (`pipeline.templates`), rendered by pipeline/report.py."""
