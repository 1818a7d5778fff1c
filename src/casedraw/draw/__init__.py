"""The draw: pure functions that assign a sealed round's documents to private bailiffs."""
