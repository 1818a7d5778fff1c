"""Measuring what the reform does: processing times and recovery dynamics from the public log."""
