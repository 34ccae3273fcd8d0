"""Dialogue Matchmaker: the bot application (core services, storage, scheduler, adapters, CLI)."""
