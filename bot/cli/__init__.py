"""The `matchmaker` command line."""
