"""The one HTTP seam of the tax providers: JSON POSTs with a timeout, and faults sorted into
refusals (4xx: the request must change) and transient failures (network, 5xx, 429)."""

from typing import Any

import requests

from tax.providers import TaxProviderError

TIMEOUT = (5, 30)  # seconds: connect, read


def post_json(
    url: str, body: dict[str, Any], *, headers: dict[str, str], auth: Any = None, name: str
) -> Any:
    try:
        response = requests.post(url, json=body, headers=headers, auth=auth, timeout=TIMEOUT)
    except requests.RequestException as err:
        raise TaxProviderError(f"{name} could not be reached: {err}", transient=True) from err
    if response.status_code == 429 or response.status_code >= 500:
        raise TaxProviderError(
            f"{name} answered {response.status_code}; it is retried.", transient=True
        )
    try:
        payload = response.json() if response.content else {}
    except ValueError:
        payload = response.text
    if response.status_code >= 400:
        raise TaxProviderError(
            f"{name} refused it ({response.status_code}): {_reason(payload)}",
            status=response.status_code,
        )
    return payload


def _reason(payload: Any) -> str:
    """Avalara: {"error": {"code", "message", "details": [...]}}; Anrok: {"type": ...} or a
    plain-text 400 body."""
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            details = error.get("details") or []
            detail = details[0].get("description", "") if details else ""
            text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
            return f"{text} {detail}".strip()
        if "type" in payload:
            return str(payload["type"])
    return str(payload)[:500]
