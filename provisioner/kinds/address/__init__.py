"""The address kind."""
