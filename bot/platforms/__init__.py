"""Platform adapters: one thin adapter per platform over the one core."""
