from collections.abc import Iterator

import pytest

from invoicing.tests.conftest import fake  # noqa: F401 (the fake Stripe fixture)
from tax.tests import fake_tax


@pytest.fixture
def fake_tax_server(settings) -> Iterator[fake_tax.FakeTax]:
    tax = fake_tax.FakeTax()
    server = fake_tax.start(tax)
    settings.TAX_AVALARA_BASE_URLS = {"SANDBOX": tax.url, "PRODUCTION": tax.url}
    settings.TAX_ANROK_BASE_URL = tax.url
    yield tax
    server.shutdown()
    server.server_close()
