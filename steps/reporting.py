"""Reporting plugin: tag markers, feature collection, cucumber.json and the traceability matrix."""
