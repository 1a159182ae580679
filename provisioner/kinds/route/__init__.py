"""The route kind."""
