"""Reports: one result model for every check, rendered as JSON, HTML, text and PDF."""
