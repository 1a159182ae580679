"""The netns kind."""
