"""Benchmarks of pulumi_rtk against a local emulator: ``python -m bench`` (docs/performance.md)."""
