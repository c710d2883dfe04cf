"""The pure core: desired state, live state as data, diff and plan. Never imports boto3."""
