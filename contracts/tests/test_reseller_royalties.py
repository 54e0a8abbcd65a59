"""Reseller royalties: sent through the official metronome-sdk with a create and a v2 edit and
read back as the SDK's response types carry them (v2 grouped by reseller type, v1 flat, the edit
history flat); the refusals, each a 400 naming its path; and invoices, which show the royalty
their lines fall under and bill the customer exactly what they bill without it."""

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from billing_console.tests.read_back import ReadBack, assert_shows
from contracts.models import Contract, ResellerRoyalty
from contracts.tests.round_trip_terms import WINDOW, read_contract, world
from contracts.wire.fields import CONTRACT_CREATE, CONTRACT_EDIT
from contracts.wire.fields.reporting_terms import ROYALTY_TRIP
from invoicing.services import contract_statement_periods, invoice_compute_usage
from invoicing.tests.factories import JAN, priced_world, send_calls

FLAT = {"aws_options", "gcp_options"}  # read back as their own fields (aws_offer_id, ...)


@pytest.fixture
def w(transactional_db) -> SimpleNamespace:
    return world()


def royalties(w) -> list[dict[str, Any]]:
    return [
        {"reseller_type": "AWS", "fraction": 0.2, "netsuite_reseller_id": "NS-AWS",
         "starting_at": "2026-01-15T00:00:00Z", "ending_before": "2026-07-01T00:00:00Z",
         "applicable_product_ids": [w.calls], "applicable_product_tags": ["usage"],
         "reseller_contract_value": 1_000_000,
         "aws_options": {"aws_account_number": "123456789012", "aws_offer_id": "offer-1",
                         "aws_payer_reference_id": "payer-1"}},
        {"reseller_type": "GCP_PRO_SERVICE", "fraction": 0.035, "netsuite_reseller_id": "NS-GCP",
         "starting_at": "2026-02-01T00:00:00Z", "applicable_product_tags": ["services"],
         "gcp_options": {"gcp_account_id": "gcp-acct", "gcp_offer_id": "gcp-offer"}},
    ]  # fmt: skip


def _flat(item: dict[str, Any]) -> dict[str, Any]:
    """A sent royalty as the SDK reads it back: its options as fields of their own."""
    out = {k: v for k, v in item.items() if k not in FLAT}
    for key in FLAT:
        out.update(item.get(key, {}))
    return out


def _check(rb: ReadBack, sent: list[dict], segments: list[dict], prefix: str) -> None:
    """Each sent royalty read back (by start) among `segments`; its options' paths as seen."""
    for item in sent:
        [got] = [s for s in segments if s["starting_at"] == item["starting_at"]]
        rb.check(_flat(item), got, "flattened")
        paths = {f"{prefix}[].{k}" for k in item} | {f"{prefix}[].{k}.{o}" for k in FLAT & set(item) for o in item[k]}  # fmt: skip
        rb.seen |= paths | {prefix}


@pytest.mark.sdk
def test_royalties_read_back_from_create_and_edit_as_sent(sdk, w):
    sent = royalties(w)
    contract_id = sdk.v1.contracts.create(
        customer_id=w.customer, rate_card_id=w.card, **WINDOW, reseller_royalties=sent
    ).data.id
    got = read_contract(sdk, w, contract_id)["reseller_royalties"]
    assert [(g["reseller_type"], len(g["segments"])) for g in got] == [
        ("AWS", 1), ("GCP_PRO_SERVICE", 1),
    ]  # fmt: skip
    rb = ReadBack()
    _check(rb, sent, [s for g in got for s in g["segments"]], "reseller_royalties")
    # v1 get and list carry them flat, in the contract's terms.
    v1 = sdk.v1.contracts.retrieve(customer_id=w.customer, contract_id=contract_id).data
    [listed] = sdk.v1.contracts.list(customer_id=w.customer).data
    for contract in (v1, listed):
        _check(ReadBack(), sent, contract.current.to_dict(mode="json")["reseller_royalties"], "v1")

    # A v2 edit adds the next AWS segment (from where the first ends), an AWS pro-service one
    # and a GCP one.
    added = [
        {**sent[0], "fraction": 0.15, "starting_at": "2026-07-01T00:00:00Z",
         "ending_before": None, "reseller_contract_value": 2_000_000},
        {"reseller_type": "AWS_PRO_SERVICE", "fraction": 1, "netsuite_reseller_id": "NS-AWS-PS",
         "starting_at": "2026-03-01T00:00:00Z", "applicable_product_ids": [w.fee],
         "aws_options": {"aws_offer_id": "offer-ps"}},
        {"reseller_type": "GCP", "fraction": 0.1, "netsuite_reseller_id": "NS-GCP-2",
         "starting_at": "2026-04-01T00:00:00Z", "applicable_product_tags": ["usage"],
         "gcp_options": {"gcp_account_id": "acct-2", "gcp_offer_id": "offer-2"}},
    ]  # fmt: skip
    sdk.v2.contracts.edit(customer_id=w.customer, contract_id=contract_id, add_reseller_royalties=added)  # fmt: skip
    got = read_contract(sdk, w, contract_id)["reseller_royalties"]
    segments = {g["reseller_type"]: g["segments"] for g in got}
    assert [s["fraction"] for s in segments["AWS"]] == [0.2, 0.15]
    assert "ending_before" not in segments["AWS"][1]  # sent as null: open-ended
    added[0] = {k: v for k, v in added[0].items() if v is not None}
    _check(rb, added, [s for g in got for s in g["segments"]], "add_reseller_royalties")
    rb.seen.add("add_reseller_royalties[].ending_before")
    assert_shows(rb.seen, ROYALTY_TRIP, CONTRACT_CREATE, CONTRACT_EDIT)
    # The edit history carries them as the SDK's edit response names them.
    [recorded] = sdk.v2.contracts.get_edit_history(
        customer_id=w.customer, contract_id=contract_id
    ).data
    assert [(r.reseller_type, r.fraction) for r in recorded.add_reseller_royalties] == [
        ("AWS", 0.15), ("AWS_PRO_SERVICE", 1), ("GCP", 0.1),
    ]  # fmt: skip
    assert recorded.add_reseller_royalties[1].aws_offer_id == "offer-ps"


# -- refusals ------------------------------------------------------------------------------------


def _royalty(world, **change: Any) -> dict[str, Any]:
    base = {"reseller_type": "AWS", "fraction": 0.2, "netsuite_reseller_id": "NS-1",
            "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-07-01T00:00:00Z",
            "applicable_product_ids": [str(world.product.public_id)]}  # fmt: skip
    return {k: v for k, v in {**base, **change}.items() if v is not None}


CASES = [
    ({"fraction": 1.5}, "add_reseller_royalties[0].fraction: must be between 0 and 1."),
    ({"applicable_product_ids": None},
     "add_reseller_royalties[0].applicable_product_ids: give applicable_product_ids or "
     "applicable_product_tags (at least one)."),
    ({"applicable_product_ids": ["9a1c7e0e-2f57-4c1e-8f0b-4b6a2b1f3c55"]},
     "add_reseller_royalties[0].applicable_product_ids: no product with id "
     "9a1c7e0e-2f57-4c1e-8f0b-4b6a2b1f3c55."),
    ({"gcp_options": {"gcp_account_id": "x"}},
     "add_reseller_royalties[0].gcp_options: is for GCP royalties; this one is AWS."),
    ({"netsuite_reseller_id": None},
     "add_reseller_royalties[0].netsuite_reseller_id: is required."),
    ({"starting_at": "2026-06-01T00:00:00Z", "ending_before": None},
     "add_reseller_royalties[0].starting_at: overlaps the AWS royalty from 2026-01-01T00:00:00Z: "
     "the segments of one reseller type follow one another (this server does not amend a "
     "segment)."),
    ({"reseller_type": "AZURE"},
     "add_reseller_royalties[0].reseller_type: must be one of AWS, AWS_PRO_SERVICE, GCP, "
     "GCP_PRO_SERVICE."),
]  # fmt: skip


@pytest.mark.django_db
def test_a_bad_royalty_is_a_400_naming_its_path_and_writes_nothing(api):
    world = priced_world()
    ids = {"customer_id": str(world.customer.public_id),
           "contract_id": str(world.contract.public_id)}  # fmt: skip
    first = {**ids, "add_reseller_royalties": [_royalty(world)]}
    assert api.post("/v2/contracts/edit", first, format="json").status_code == 200
    for change, message in CASES:
        body = {**ids, "add_reseller_royalties": [_royalty(world, **change)]}
        response = api.post("/v2/contracts/edit", body, format="json")
        assert (response.status_code, response.json()["message"]) == (400, message)
    assert ResellerRoyalty.objects.count() == 1
    # The same reader on create: the same answer, under the create's path.
    body = {"customer_id": str(world.customer.public_id), "starting_at": "2026-01-01T00:00:00Z",
            "reseller_royalties": [_royalty(world, fraction=-0.1)]}  # fmt: skip
    response = api.post("/v1/contracts/create", body, format="json")
    assert response.json()["message"] == "reseller_royalties[0].fraction: must be at least 0."
    assert Contract.objects.count() == 1


# -- invoices: shown, never billed ----------------------------------------------------------------


@pytest.mark.django_db
def test_invoices_show_the_royalty_and_bill_the_same(api, alice, client):
    world = priced_world()  # Calls at 5 cents, monthly from Jan 1
    send_calls(12, JAN + timedelta(days=3))
    [period, *_] = contract_statement_periods(world.contract, JAN + timedelta(days=3))
    before = invoice_compute_usage(contract=world.contract, period=period)
    lines = list(before.lines.values_list("type", "total"))
    url = f"/v1/customers/{world.customer.public_id}/invoices/{before.public_id}"
    assert "reseller_royalty" not in api.get(url).json()["data"]
    ids = {"customer_id": str(world.customer.public_id),
           "contract_id": str(world.contract.public_id)}  # fmt: skip
    royalty = _royalty(world, aws_options={"aws_offer_id": "offer-1"})
    body = {**ids, "add_reseller_royalties": [royalty]}
    assert api.post("/v2/contracts/edit", body, format="json").status_code == 200
    after = invoice_compute_usage(contract=world.contract, period=period)  # the draft, again
    assert after.pk == before.pk and after.total == before.total == 60  # 12 calls x 5 cents
    assert list(after.lines.values_list("type", "total")) == lines
    data = api.get(url).json()["data"]
    assert data["total"] == 60
    assert data["reseller_royalty"] == {
        "fraction": "0.2", "netsuite_reseller_id": "NS-1", "reseller_type": "AWS",
        "aws_options": {"aws_offer_id": "offer-1"},
    }  # fmt: skip
    assert [line.get("reseller_type") for line in data["line_items"]] == ["AWS"]
    client.force_login(alice)
    page = client.get(reverse("contracts:contract-detail", args=[world.contract.public_id]))
    content = page.content.decode()
    assert "20%" in content and "NS-1" in content and "Calls" in content
    assert "AWS 20% from 2026-01-01" in content  # the edit, in the recent edits
