"""No silent drop: every field of the SDK's request types, for every create and edit listed
below, is honoured (naming the test that shows it) or refused with a 400 naming it; a refused
field writes nothing. Reads the SDK's own TypedDicts, so a field a new SDK adds fails here until
someone decides which it is (billing_console/wire_fields.py)."""

import collections.abc
import importlib
import inspect
import types
import typing
from typing import Any

import pytest
from typing_extensions import is_typeddict

from billing_console.wire_fields import Fields
from contracts.models import Commit, Contract, ContractEdit, Override, RecurringCommit
from contracts.wire.fields import (
    CONTRACT_CREATE,
    CONTRACT_EDIT,
    CUSTOMER_COMMIT_CREATE,
    CUSTOMER_CREDIT_CREATE,
)
from contracts.wire.fields.amendments import CONTRACT_AMEND
from contracts.wire.fields.services_terms import PRO_SERVICES_INVOICE
from customers.models import Customer
from customers.wire_fields import CUSTOMER_CREATE
from invoicing.historical import HISTORICAL_INVOICES
from invoicing.tests.factories import priced_world
from pricing.models import Product, Rate, RateCard
from pricing.wire_fields import PRODUCT_CREATE, RATE_ADD, RATE_CARD_CREATE

T = "metronome.types.v1."
# endpoint -> (the SDK's request TypedDict, our fields, the path it is POSTed to)
ENDPOINTS: dict[str, tuple[str, Fields, str]] = {
    "contracts.create": (
        T + "contract_create_params.ContractCreateParams",
        CONTRACT_CREATE,
        "/v1/contracts/create",
    ),
    "contracts.edit (v2)": (
        "metronome.types.v2.contract_edit_params.ContractEditParams",
        CONTRACT_EDIT,
        "/v2/contracts/edit",
    ),
    "contracts.amend": (
        T + "contract_amend_params.ContractAmendParams",
        CONTRACT_AMEND,
        "/v1/contracts/amend",
    ),
    "contracts.create_historical_invoices": (
        T + "contract_create_historical_invoices_params.ContractCreateHistoricalInvoicesParams",
        HISTORICAL_INVOICES,
        "/v1/contracts/createHistoricalInvoices",
    ),
    "customers.create": (
        T + "customer_create_params.CustomerCreateParams",
        CUSTOMER_CREATE,
        "/v1/customers",
    ),
    "customers.commits.create": (
        T + "customers.commit_create_params.CommitCreateParams",
        CUSTOMER_COMMIT_CREATE,
        "/v1/contracts/customerCommits/create",
    ),
    "customers.credits.create": (
        T + "customers.credit_create_params.CreditCreateParams",
        CUSTOMER_CREDIT_CREATE,
        "/v1/contracts/customerCredits/create",
    ),
    "products.create": (
        T + "contracts.product_create_params.ProductCreateParams",
        PRODUCT_CREATE,
        "/v1/contract-pricing/products/create",
    ),
    "rate_cards.create": (
        T + "contracts.rate_card_create_params.RateCardCreateParams",
        RATE_CARD_CREATE,
        "/v1/contract-pricing/rate-cards/create",
    ),
    "rate_cards.rates.add": (
        T + "contracts.rate_cards.rate_add_params.RateAddParams",
        RATE_ADD,
        "/v1/contract-pricing/rate-cards/addRate",
    ),
    "contracts.schedule_pro_services_invoice": (
        T + "contract_schedule_pro_services_invoice_params."
        "ContractScheduleProServicesInvoiceParams",
        PRO_SERVICES_INVOICE,
        "/v1/contracts/scheduleProServicesInvoice",
    ),
}


# -- the SDK's request types, walked ---------------------------------------------------------


def _typed_dict(dotted: str) -> type:
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def sdk_paths(typed_dict: type, prefix: str = "", seen: tuple = ()) -> list[str]:
    """Every field path of a request TypedDict: nested TypedDicts, Iterable/Sequence/List of
    them (as `name[]`) and Union members, walked recursively."""
    hints = typing.get_type_hints(typed_dict, include_extras=True)
    keys = typed_dict.__required_keys__ | typed_dict.__optional_keys__
    assert keys == set(hints), typed_dict
    out = []
    for key in sorted(keys):
        path = f"{prefix}.{key}" if prefix else key
        out.append(path)
        out.extend(_nested(hints[key], path, (*seen, typed_dict)))
    return list(dict.fromkeys(out))


def _nested(hint: Any, path: str, seen: tuple) -> list[str]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Annotated, typing.Required, typing.NotRequired):
        return _nested(args[0], path, seen)
    if is_typeddict(hint):
        return [] if hint in seen else sdk_paths(hint, path, seen)
    if origin in (typing.Union, types.UnionType):
        return [p for arg in args for p in _nested(arg, path, seen)]
    if inspect.isclass(origin) and issubclass(origin, collections.abc.Iterable):
        if origin in (dict, collections.abc.Mapping) or issubclass(origin, str | bytes):
            return []  # a map of values (custom_fields, group values): its keys are data
        return [p for arg in args for p in _nested(arg, f"{path}[]", seen)]
    return []  # a scalar, a Literal, a datetime, Dict[str, object]


def _covering(path: str, refused: typing.Iterable[str]) -> str | None:
    """The refused path that stands for `path` (itself or an ancestor), if any."""
    return next((r for r in refused if path == r or path.startswith((f"{r}.", f"{r}[]"))), None)


def test_the_walker_reads_nested_lists_and_unions():
    paths = sdk_paths(_typed_dict(ENDPOINTS["contracts.create"][0]))
    assert "commits[].access_schedule.schedule_items[].amount" in paths
    assert "commits[].hierarchy_configuration.child_access.contract_ids" in paths  # a Union
    assert "overrides[].override_specifiers[].commit_ids" in paths
    assert not any(p.startswith("custom_fields.") for p in paths)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_sdk_field_is_honoured_or_refused_once(endpoint):
    dotted, fields, _path = ENDPOINTS[endpoint]
    sdk = sdk_paths(_typed_dict(dotted))
    honoured, refused = set(fields.honoured), set(fields.refused)
    neither = [p for p in sdk if p not in honoured and _covering(p, refused) is None]
    both = sorted(p for p in honoured if _covering(p, refused) is not None)
    gone = sorted((honoured | refused) - set(sdk))
    assert neither == [], f"{endpoint}: in neither list (honour it with a test, or refuse it)"
    assert both == [], f"{endpoint}: both honoured and refused"
    assert gone == [], f"{endpoint}: listed, but the SDK no longer has it"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_honoured_field_names_a_test_that_exists(endpoint):
    missing = set()
    for entry in ENDPOINTS[endpoint][1].honoured.values():
        module, _, name = entry.test.partition("::")
        if not callable(getattr(importlib.import_module(module), name, None)):
            missing.add(entry.test)
    assert sorted(missing) == []


# A term of a create and the same term added by a v2 edit (add_<term>).
ADDED = (
    "commits", "credits", "overrides", "scheduled_charges", "recurring_commits",
    "recurring_credits", "subscriptions", "discounts", "professional_services",
    "reseller_royalties", "spend_trackers", "spend_threshold_configuration",
    "prepaid_balance_threshold_configuration",
)  # fmt: skip


def test_create_and_edit_give_the_same_answer_for_the_same_term():
    checked = 0
    for path in CONTRACT_CREATE.honoured.keys() | CONTRACT_CREATE.refused.keys():
        head = path.split(".")[0].removesuffix("[]")
        if head not in ADDED:
            continue
        edited = f"add_{path}"
        if path in CONTRACT_CREATE.refused:
            assert CONTRACT_EDIT.refused.get(edited) == CONTRACT_CREATE.refused[path], edited
        else:
            entry = CONTRACT_EDIT.honoured.get(edited)
            assert entry is not None, f"{edited}: honoured on create, not on edit"
            assert entry.refused_values == CONTRACT_CREATE.honoured[path].refused_values
        checked += 1
    assert checked > 250


# -- refused fields, sent: a 400 naming the path, nothing written -------------------------------

PLACEHOLDER = "not-supported"


def body_with(path: str, value: Any) -> tuple[dict[str, Any], str]:
    """A body that sends `value` at `path` (list items as the first of their list) and the
    concrete path the 400 names."""
    body: dict[str, Any] = {}
    node, concrete = body, []
    parts = path.split(".")
    for index, part in enumerate(parts):
        key, many = (part[:-2], True) if part.endswith("[]") else (part, False)
        last = index == len(parts) - 1
        concrete.append(f"{key}[0]" if many else key)
        child: Any = value if last else {}
        node[key] = [child] if many else child
        node = child
    return body, ".".join(concrete)


def _refusals() -> list[Any]:
    cases = []
    for endpoint, (_dotted, fields, _path) in ENDPOINTS.items():
        for path in fields.refused:
            cases.append(pytest.param(endpoint, path, None, id=f"{endpoint}:{path}"))
        for path, entry in fields.honoured.items():
            for value in entry.refused_values:
                cases.append(pytest.param(endpoint, path, value, id=f"{endpoint}:{path}={value}"))
    return cases


def _written() -> tuple[int, ...]:
    models = (Contract, ContractEdit, Commit, Override, RecurringCommit, Customer, Product)
    return tuple(m.objects.count() for m in (*models, RateCard, Rate))


@pytest.fixture
def world(db):
    return priced_world()


@pytest.mark.parametrize(("endpoint", "path", "value"), _refusals())
def test_a_refused_field_is_a_400_naming_it_and_writes_nothing(api, world, endpoint, path, value):
    body, concrete = body_with(path, PLACEHOLDER if value is None else value)
    # Whatever else the endpoint needs: the refusal comes first, before any other check.
    body.setdefault("customer_id", str(world.customer.public_id))
    body.setdefault("contract_id", str(world.contract.public_id))
    before = _written()
    response = api.post(ENDPOINTS[endpoint][2], body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith(f"{concrete}: "), response.json()
    assert _written() == before


def test_an_empty_list_or_null_sends_nothing_to_refuse(api, world):
    body = {
        "customer_id": str(world.customer.public_id),
        "starting_at": "2026-01-01T00:00:00Z",
        "discounts": [],
        "total_contract_value": None,
    }
    assert api.post("/v1/contracts/create", body, format="json").status_code == 200
