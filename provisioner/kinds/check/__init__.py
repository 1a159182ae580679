"""The check kind."""
