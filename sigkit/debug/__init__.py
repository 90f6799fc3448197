"""The signature-mismatch debugger: read what clients and servers said, compare, diagnose."""
