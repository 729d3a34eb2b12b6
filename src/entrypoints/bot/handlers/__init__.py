"""Bot handlers, one router per area."""
