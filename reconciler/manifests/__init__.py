"""Loading and validating the YAML manifests (pure: no AWS)."""
