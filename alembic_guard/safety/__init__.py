"""Upgrade safety: record what pending migrations would do, judge it with rules."""
