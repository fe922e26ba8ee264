"""The weekly service report: figures queried from Prometheus, rendered as HTML, mailed."""
