"""bin/sdk_conformance's classifier and source rewriting, on made-up records (no server)."""

import io

from billing_console.conformance import classify, sdist

NODE = "tests/api_resources/v1/test_customers.py::TestCustomers::test_method_retrieve[strict]"
# A method the test makes up and adds to KNOWN_MISSING (the real list may well be empty).
MISSING = "tests/api_resources/v1/test_widgets.py::TestWidgets::test_method_frobnicate[strict]"


def _failed(nodeid: str, status: int, message: str, content_type="application/json") -> dict:
    last = {"http": "POST /v1/x", "status": status, "content_type": content_type}
    return {"nodeid": nodeid, "outcome": "failed", "status": status,
            "last": {**last, "message": message, "body": message}}  # fmt: skip


def test_classes():
    def cls(record, real_ids=False):
        return classify.classify(record, real_ids)

    assert cls(_failed(NODE, 404, "customer_id: no customer with id 1.")) == "404 placeholder id"
    assert cls(_failed(NODE, 404, "customer_id: no customer.", "json"), True) == "404 entity"
    assert cls(_failed(NODE, 404, "No endpoint at /v1/x.")) == "route 404"
    assert cls(_failed(NODE, 404, "<html>", "text/html")) == "route 404"
    assert cls(_failed(NODE, 405, "")) == "405"
    assert cls(_failed(NODE, 400, "commits[0].amount: is not supported")) == "400"
    assert cls(_failed(NODE, 400, "Bad request.")) == "400 naming no field"
    assert cls(_failed(NODE, 500, "Internal server error.")) == "5xx"
    shape = {"nodeid": NODE, "outcome": "failed", "exc": ["APIResponseValidationError"]}
    assert cls(shape) == "response shape"
    assert cls({"nodeid": NODE, "outcome": "passed"}) == "ok"


def test_known_missing_is_kept_honest(monkeypatch):
    monkeypatch.setattr(classify, "KNOWN_MISSING", frozenset({"v1.widgets.frobnicate"}))
    assert sdist.method_of(MISSING) == ("v1.widgets.frobnicate", "method")
    missing = classify.classified(
        [_failed(MISSING, 404, "No endpoint at /v1/widgets/frobnicate.")], False
    )
    assert missing[0][1] == classify.NOT_YET
    answered = classify.classified([_failed(MISSING, 400, "customer_id: required")], False)
    assert answered[0][1] == classify.NOW_IMPLEMENTED
    out = io.StringIO()
    assert classify.report({classify.PLACEHOLDERS: missing}, out) is True
    assert classify.report({classify.PLACEHOLDERS: answered}, out) is False


def test_method_of():
    assert sdist.method_of(NODE) == ("v1.customers.retrieve", "method")
    node = "tests/api_resources/v1/customers/test_invoices.py::TestInvoices::test_method_list_breakdowns_with_all_params[strict]"
    assert sdist.method_of(node) == ("v1.customers.invoices.list_breakdowns", "with_all_params")


def test_rewrite_ids(tmp_path):
    tests = tmp_path / "tests" / "api_resources" / "v1"
    tests.mkdir(parents=True)
    (tests / "test_alerts.py").write_text(
        "class TestAlerts:\n"
        "    def test_method_archive(self, client):\n"
        '        client.v1.alerts.archive(id="8deed800-1b7a-495d-a207-6c52bac54dc9",\n'
        '            next_page="next_page",\n'
        '            body={"customer_id": "13117714-3f05-48e5-a6e9-a66093f13b4d"})\n'
        "    def test_method_create(self, client):\n"
        '        client.v1.alerts.create(customer_id="13117714-3f05-48e5-a6e9-a66093f13b4d")\n'
    )
    real = {"alert_id": "a" * 8 + "-0000-0000-0000-" + "0" * 12, "customer_id": "c" * 36}
    chosen = {"tests/api_resources/v1/test_alerts.py::TestAlerts::test_method_archive"}
    replaced = sdist.rewrite_ids(tests.parent, real, {"v1.alerts": "alert_id"}, chosen)
    source = (tests / "test_alerts.py").read_text()
    assert replaced == {"alert_id": 1, "customer_id": 1}
    assert f'id="{real["alert_id"]}"' in source and "next_page" not in source
    assert 'create(customer_id="13117714' in source  # not chosen: left as it was


def test_rewrite_ids_per_method(tmp_path):
    """`<method>:<param>` and `<resource>:<param>` keys give those tests their own id."""
    tests = tmp_path / "tests" / "api_resources" / "v1" / "customers"
    tests.mkdir(parents=True)
    call = (
        '        client.v1.customers.plans.{}(customer_id="13117714-3f05-48e5-a6e9-a66093f13b4d")\n'
    )
    (tests / "test_plans.py").write_text(
        "class TestPlans:\n"
        f"    def test_method_end(self, client):\n{call.format('end')}"
        f"    def test_method_list(self, client):\n{call.format('list')}"
    )
    (tests.parent / "test_alerts.py").write_text(
        f"class TestAlerts:\n    def test_method_create(self, client):\n{call.format('x')}"
    )
    real = {"customer_id": "c" * 36, "v1.customers.plans:customer_id": "p" * 36,
            "v1.customers.plans.end:customer_id": "e" * 36}  # fmt: skip
    chosen = {
        "tests/api_resources/v1/customers/test_plans.py::TestPlans::test_method_end",
        "tests/api_resources/v1/customers/test_plans.py::TestPlans::test_method_list",
        "tests/api_resources/v1/test_alerts.py::TestAlerts::test_method_create",
    }
    sdist.rewrite_ids(tests.parents[1], real, {}, chosen)
    plans = (tests / "test_plans.py").read_text()
    assert f'end(customer_id="{"e" * 36}")' in plans and f'list(customer_id="{"p" * 36}")' in plans
    assert f'x(customer_id="{"c" * 36}")' in (tests.parent / "test_alerts.py").read_text()
