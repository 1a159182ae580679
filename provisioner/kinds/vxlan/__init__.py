"""The vxlan kind."""
