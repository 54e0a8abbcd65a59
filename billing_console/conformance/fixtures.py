"""The `client` fixture the SDK's tests run with, in place of the sdist's conftest's one.

The same fixture (session-scoped, parametrized `loose`/`strict` by the tests), with our base URL
and token from the environment (`TEST_API_BASE_URL`, which the sdist's modules read too, and
`TEST_API_BEARER_TOKEN`), no retries (a 5xx is reported once, not retried with backoff), and an
httpx hook that keeps the last responses for the plugin's records.
"""

import os
from collections.abc import Iterator

import httpx
import pytest
from metronome import Metronome

RESPONSES: list[dict] = []


def _record(response: httpx.Response) -> None:
    body = message = ""
    if response.status_code >= 400:
        response.read()
        body = response.text
        try:
            message = str(response.json().get("message", ""))
        except (ValueError, AttributeError):
            pass
    RESPONSES.append(
        {
            "http": f"{response.request.method} {response.request.url.path}",
            "status": response.status_code,
            "content_type": response.headers.get("content-type", ""),
            "body": body[:400],
            "message": message[:1000],
        }
    )


@pytest.fixture(scope="session")
def client(request: pytest.FixtureRequest) -> Iterator[Metronome]:
    strict = getattr(request, "param", True)
    http = httpx.Client(timeout=60, event_hooks={"response": [_record]})
    with Metronome(
        base_url=os.environ["TEST_API_BASE_URL"],
        bearer_token=os.environ["TEST_API_BEARER_TOKEN"],
        _strict_response_validation=strict,
        max_retries=0,
        http_client=http,
    ) as sdk:
        yield sdk
