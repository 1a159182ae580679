"""The core every kind shares: typed object keys, the plan and its actions, the effects one
kind's change has on another, ownership, and the registry of kinds (docs/architecture.md)."""
