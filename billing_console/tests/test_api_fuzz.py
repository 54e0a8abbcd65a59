"""The whole API fuzzed from its own OpenAPI schema (schemathesis): for every operation,
generated inputs — valid and invalid — never get a server error, and every response conforms to
the schema (documented status code, content type and body shape). Authentication is checked too
(schemathesis' ignored_auth: a request without the token must be refused).

Two of schemathesis' checks are left out on purpose: whether schema-valid data is accepted and
whether schema-invalid data is rejected. A schema cannot say that an id must name an existing
customer, so valid-looking input is rightly refused with a 400/404; and DRF accepts a number
where the schema says string (it is read as its text), which is harmless.

Examples are derandomized so CI sees the same inputs on every run; raise FUZZ_EXAMPLES to search
further locally.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

schema = schemathesis.openapi.from_wsgi("/openapi.json", get_wsgi_application())
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests go through the WSGI handler, not Django's test client: like the test client,
    keep it from closing the database connection at the end of each request (it would close
    the test's transaction on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema_and_never_errors(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_token}"},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
