"""topo: a declarative network topology provisioner for Linux."""

__version__ = "0.1.0"
