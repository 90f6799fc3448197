"""The `sigkit` command line: argument parsing and output only; signing lives in the core."""
