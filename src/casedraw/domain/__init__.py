"""The pure domain: plain data and functions, no I/O, no clock."""
