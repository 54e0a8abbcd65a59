"""An item dated at or after a contract's ending_before would never be invoiced on it
(contracts/terms/finalized_moments.py): adding or moving one there is refused, 400 naming the
item's timestamp path, nothing written; just before the end is fine, and a postpaid commit's
invoice schedule may fall on the end (its true-up is billed when its access ends).

The contract runs Jan 1 to Jul 1, 2026; amounts are USD cents."""

from typing import Any

import pytest

from contracts.models import (
    Commit,
    CommitInvoiceItem,
    Contract,
    ContractEdit,
    DiscountItem,
    ProServiceInvoiceItem,
    ScheduledChargeItem,
)
from contracts.services import contract_create
from customers.services import customer_create
from invoicing.models import Invoice
from pricing.services import product_create

END = "2026-07-01T00:00:00Z"
WHY = (
    "the contract ends at 2026-07-01T00:00:00Z (ending_before, exclusive): an item dated {at} "
    "would never be invoiced on it."
)
ACCESS = {"schedule_items": [
    {"amount": 100_000, "starting_at": "2026-01-01T00:00:00Z", "ending_before": END}]}  # fmt: skip


@pytest.fixture
def deal(db) -> dict[str, Any]:
    """A $100.00 fee on Jun 1, a $1,000.00 prepaid commit invoiced Jan 1, 10 hours of service."""
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    fee = str(product_create(name="Fee", type="FIXED").public_id)
    hours = str(product_create(name="Hours", type="PRO_SERVICE").public_id)
    contract = contract_create(customer=customer, data={
        "starting_at": "2026-01-01T00:00:00Z", "ending_before": END,
        "scheduled_charges": [{"product_id": fee, "name": "Fee", "schedule": {"schedule_items": [
            {"timestamp": "2026-06-01T00:00:00Z", "amount": 10_000}]}}],
        "commits": [{"type": "PREPAID", "product_id": fee, "name": "Commit", "priority": 1,
                     "access_schedule": ACCESS, "invoice_schedule": {"schedule_items": [
                         {"timestamp": "2026-01-01T00:00:00Z", "amount": 100_000}]}}],
        "professional_services": [{"product_id": hours, "description": "Implementation",
                                   "quantity": 10, "unit_price": 15_000, "max_amount": 150_000}],
    })  # fmt: skip
    return {
        "customer_id": str(customer.public_id), "contract_id": str(contract.public_id),
        "fee": fee, "hours": hours, "contract": contract,
        "charge": str(contract.scheduled_charges.get().public_id),
        "charge_item": str(ScheduledChargeItem.objects.get().public_id),
        "commit": str(contract.commits.get().public_id),
        "commit_item": str(CommitInvoiceItem.objects.get().public_id),
        "service": str(contract.professional_services.get().public_id),
    }  # fmt: skip


def _edit(d: dict, **body: Any) -> tuple[str, dict]:
    return "/v2/contracts/edit", {"customer_id": d["customer_id"], "contract_id": d["contract_id"], **body}  # fmt: skip


def _at(at: str, **more: Any) -> dict:
    return {"timestamp": at, "amount": 5_000, **more}


CASES = {
    "add_scheduled_charges": lambda d: (_edit(d, add_scheduled_charges=[
        {"product_id": d["fee"], "schedule": {"schedule_items": [
            _at("2026-06-30T23:59:59Z"), _at(END)]}}]),
        "add_scheduled_charges[0].schedule.schedule_items[1].timestamp", END),
    "update_scheduled_charges add": lambda d: (_edit(d, update_scheduled_charges=[
        {"scheduled_charge_id": d["charge"], "invoice_schedule": {
            "add_schedule_items": [_at("2026-08-01T00:00:00Z")]}}]),
        "update_scheduled_charges[0].invoice_schedule.add_schedule_items[0].timestamp",
        "2026-08-01T00:00:00Z"),
    "update_scheduled_charges move": lambda d: (_edit(d, update_scheduled_charges=[
        {"scheduled_charge_id": d["charge"], "invoice_schedule": {
            "update_schedule_items": [{"id": d["charge_item"], "timestamp": END}]}}]),
        "update_scheduled_charges[0].invoice_schedule.update_schedule_items[0].timestamp", END),
    "add_discounts": lambda d: (_edit(d, add_discounts=[
        {"product_id": d["fee"], "schedule": {"schedule_items": [_at(END)]}}]),
        "add_discounts[0].schedule.schedule_items[0].timestamp", END),
    "add_discounts recurring": lambda d: (_edit(d, add_discounts=[
        {"product_id": d["fee"], "schedule": {"recurring_schedule": {
            "starting_at": "2026-02-01T00:00:00Z", "ending_before": "2026-08-01T00:00:00Z",
            "frequency": "MONTHLY", "amount_distribution": "EACH", "amount": 700}}}]),
        "add_discounts[0].schedule.recurring_schedule", END),
    "add_commits": lambda d: (_edit(d, add_commits=[
        {"type": "PREPAID", "product_id": d["fee"], "priority": 2, "access_schedule": ACCESS,
         "invoice_schedule": {"schedule_items": [_at("2026-09-01T00:00:00Z")]}}]),
        "add_commits[0].invoice_schedule.schedule_items[0].timestamp", "2026-09-01T00:00:00Z"),
    "update_commits add": lambda d: (_edit(d, update_commits=[
        {"commit_id": d["commit"], "invoice_schedule": {"add_schedule_items": [_at(END)]}}]),
        "update_commits[0].invoice_schedule.add_schedule_items[0].timestamp", END),
    "update_commits move": lambda d: (_edit(d, update_commits=[
        {"commit_id": d["commit"], "invoice_schedule": {
            "update_schedule_items": [{"id": d["commit_item"], "timestamp": END}]}}]),
        "update_commits[0].invoice_schedule.update_schedule_items[0].timestamp", END),
    "customer commit": lambda d: (("/v1/contracts/customerCommits/create", {
        "customer_id": d["customer_id"], "type": "PREPAID", "product_id": d["fee"],
        "priority": 1, "access_schedule": ACCESS, "invoice_contract_id": d["contract_id"],
        "invoice_schedule": {"schedule_items": [_at(END)]}}),
        "invoice_schedule.schedule_items[0].timestamp", END),
    "professional services": lambda d: (("/v1/contracts/scheduleProServicesInvoice", {
        "customer_id": d["customer_id"], "contract_id": d["contract_id"], "issued_at": END,
        "line_items": [{"professional_service_id": d["service"], "quantity": 1}]}),
        "issued_at", END),
    "contract create": lambda d: (("/v1/contracts/create", {
        "customer_id": d["customer_id"], "starting_at": "2026-01-01T00:00:00Z",
        "ending_before": END, "scheduled_charges": [{"product_id": d["fee"], "schedule": {
            "schedule_items": [_at("2026-12-01T00:00:00Z")]}}]}),
        "scheduled_charges[0].schedule.schedule_items[0].timestamp", "2026-12-01T00:00:00Z"),
}  # fmt: skip


def _written() -> tuple:
    return tuple(
        sorted(str(pk) for pk in model.objects.values_list("pk", flat=True))
        for model in (Contract, Commit, ContractEdit, ScheduledChargeItem, DiscountItem,
                      CommitInvoiceItem, ProServiceInvoiceItem, Invoice)
    )  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_an_item_at_or_after_the_end_is_refused_with_nothing_written(api, deal, case):
    (path, body), field, at = CASES[case](deal)
    before = _written()
    response = api.post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["message"] == f"{field}: {WHY.format(at=at)}"
    assert _written() == before


def test_just_before_the_end_and_a_postpaid_true_up_at_the_end_are_accepted(api, deal):
    path, body = _edit(deal, add_scheduled_charges=[
        {"product_id": deal["fee"], "schedule": {"schedule_items": [_at("2026-06-30T23:59:59Z")]}}],
        add_commits=[{"type": "POSTPAID", "product_id": deal["fee"], "priority": 2,
                      "access_schedule": ACCESS, "invoice_schedule": {"schedule_items": [
                          {"timestamp": END, "amount": 100_000}]}}],
    )  # fmt: skip
    response = api.post(path, body, format="json")
    assert response.status_code == 200, response.content
    assert ScheduledChargeItem.objects.filter(timestamp__month=6, timestamp__day=30).count() == 1
    assert CommitInvoiceItem.objects.filter(commit__kind="POSTPAID").count() == 1
