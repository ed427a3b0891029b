"""Benchmarks and the trainer of the generic extractor's model (development tools, not installed)."""
