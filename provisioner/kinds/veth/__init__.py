"""The veth kind."""
