"""The process kind."""
