"""pytest plugin for the SDK's tests (loaded by the pytest.ini written beside them): runs the sync
`strict` tests only and writes one JSON line per test to $CONFORMANCE_RECORDS, the facts the classifier
reads (outcome, exception, the last HTTP response)."""

import json
import os

import pytest

from billing_console.conformance import fixtures


def _skipped(item: pytest.Item) -> bool:
    """Async tests (the same requests again), and the `loose` variant of each test: the `strict`
    one validates the response as it parses it and then runs the same assert_matches_type."""
    if item.cls and item.cls.__name__.startswith("TestAsync"):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("client") is False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselected = [item for item in items if _skipped(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not _skipped(item)]


def pytest_runtest_setup(item: pytest.Item) -> None:
    fixtures.RESPONSES.clear()


def _facts(excinfo: pytest.ExceptionInfo | None) -> dict:
    if excinfo is None:
        return {}
    exc = excinfo.value
    facts: dict = {
        "exc": [cls.__name__ for cls in type(exc).__mro__],
        "message": str(exc)[:600],
    }
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "status_code"):
        facts["status"] = response.status_code
    return facts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.when == "call" or (call.when == "setup" and not report.passed):
        record = {"nodeid": item.nodeid, "outcome": report.outcome}
        if report.failed:
            record |= _facts(call.excinfo)
        if fixtures.RESPONSES:
            record["last"] = fixtures.RESPONSES[-1]
        with open(os.environ["CONFORMANCE_RECORDS"], "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    return report
