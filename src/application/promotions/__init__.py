"""Promotions: what the house gives players (docs/bonuses.md), always through `paying`."""
