"""The readable one-message summary posted to a Slack incoming webhook for an event.

A producer may put a human sentence in the payload's "summary"; the scalar fields follow it,
one per line in key order (PostgreSQL's jsonb keeps no insertion order), so the message reads
on its own without the raw JSON.
"""

from typing import Any

from webhooks.models import OutboundEvent

MAX_FIELDS = 12


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _fields(payload: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in sorted(payload.items()):
        if key == "summary":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(_fields(value, prefix=f"{name}."))
        elif _scalar(value) and value is not None and value != "":
            out.append((name, value))
    return out


def slack_text(event: OutboundEvent) -> str:
    payload = event.payload if isinstance(event.payload, dict) else {}
    lines = [f"*{event.type}*"]
    summary = payload.get("summary")
    if isinstance(summary, str) and summary:
        lines.append(summary)
    for name, value in _fields(payload)[:MAX_FIELDS]:
        lines.append(f"• {name}: {value}")
    return "\n".join(lines)
