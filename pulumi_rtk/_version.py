"""The package version, kept apart so the HTTP client can read it without importing Pulumi."""

__version__ = "0.2.0"
