"""Evidence: signed manifests, verification, timelines and PDF reports."""
