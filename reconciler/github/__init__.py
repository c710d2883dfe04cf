"""GitHub REST API access for the CI steps: sticky PR comments, the drift issue, PR lookups, artifacts."""
