"""The event log: canonical encoding, events and their commitments."""
