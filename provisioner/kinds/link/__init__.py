"""The link kind."""
