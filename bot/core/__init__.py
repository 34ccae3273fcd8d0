"""Core services: platform-agnostic. Adapters turn input into commands and call these.

The core never imports discord or slack_bolt; adapters never write SQL.
"""
