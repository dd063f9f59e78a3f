"""The domain: pure functions over plain data (no file, no git, no clock unless given)."""
