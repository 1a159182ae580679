"""The sysctl kind."""
