"""One folder per kind of object (see docs/architecture.md): each holds what concerns only
that kind (schema fragment, model, build and checks, live read, diff, apply, capture, dump,
graph lines, tests); `registry.py` orders them by their declared dependencies."""
