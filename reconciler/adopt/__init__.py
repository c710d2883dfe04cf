"""Adopting an existing estate: manifests written from live state (pure; `import` does the I/O)."""
