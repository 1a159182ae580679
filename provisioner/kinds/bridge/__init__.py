"""The bridge kind."""
