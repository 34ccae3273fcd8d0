"""Factories for what Slack sends: slash commands, interactions, events, signed as Slack does."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "test-signing-secret"
_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


def signed_headers(
    body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "content-type": content_type,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def slash(
    team: str,
    user: str,
    text: str,
    *,
    command: str = "/dialogue",
    response_url: str,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    body = {
        "token": "legacy",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": "C0CMD",
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0APP",
        "response_url": response_url,
        "trigger_id": trigger_id or next_id("trig."),
    }
    if enterprise_id:
        body["enterprise_id"] = enterprise_id
        body["is_enterprise_install"] = "true"  # an org-wide install answers this command
    return body


def form_body(fields: dict[str, Any]) -> str:
    return urlencode(fields)


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    team: str, user: str, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0APP",
        "trigger_id": next_id("trig."),
        "view": {
            **view,
            "id": view.get("id", next_id("V")),
            "team_id": team,
            "state": {"values": values},
        },
    }


def block_action(
    team: str,
    user: str,
    action_id: str,
    *,
    value: str | None = None,
    response_url: str | None = None,
    container: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "team_id": team},
        "api_app_id": "A0APP",
        "trigger_id": next_id("trig."),
        "container": container or {"type": "message"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value or action_id,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return payload


def event(team: str, inner: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": event_id or next_id("Ev"),
        "event_time": int(time.time()),
        "event": inner,
        "authorizations": [{"team_id": team, "user_id": f"UBOT{team}", "is_bot": True}],
    }


# --- Block Kit state values, as Slack sends them for each input kind -------------------------


def text_value(value: str | None) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def radio_value(value: str) -> dict[str, Any]:
    return {"value": {"type": "radio_buttons", "selected_option": {"value": value}}}


def select_value(value: str | None) -> dict[str, Any]:
    option = None if value is None else {"value": value}
    return {"value": {"type": "static_select", "selected_option": option}}


def checkbox_value(values: list[str]) -> dict[str, Any]:
    return {"value": {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}}


def multi_value(values: list[str]) -> dict[str, Any]:
    return {
        "value": {
            "type": "multi_static_select",
            "selected_options": [{"value": v} for v in values],
        }
    }
