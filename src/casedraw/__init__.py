"""casedraw: automatic, fair and verifiable distribution of enforcement documents."""

__version__ = "0.1.0"
