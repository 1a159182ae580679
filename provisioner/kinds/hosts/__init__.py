"""The hosts kind."""
