"""The Slack adapter: a slack-bolt AsyncApp (Socket Mode or HTTP + OAuth) over the one core."""
