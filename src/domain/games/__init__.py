"""Games: pure functions from an outcome to a multiplier, with exact return-to-player."""
