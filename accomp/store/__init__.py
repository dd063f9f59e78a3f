"""The store: the only layer that touches files, locks and git."""
