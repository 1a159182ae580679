"""The loopback kind."""
