"""manage.py create_plan: a plan from a JSON file through plan_create; bad files refused."""

import json

import pytest
from django.core.management import CommandError, call_command

from plans.models import Plan
from pricing.services import product_create


@pytest.fixture
def product(db):
    return product_create(name="Platform fee", type="SUBSCRIPTION")


def _run(tmp_path, spec) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(spec))
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("create_plan", str(path), stdout=Out())
    return "".join(out).strip()


def test_a_plan_with_a_fixed_charge(tmp_path, product):
    plan_id = _run(tmp_path, {
        "name": "Starter", "trial_length_days": 14, "trial_spending_cap": 5000,
        "charges": [{"charge_type": "fixed", "product_id": str(product.public_id),
                     "price": 2000, "quantity": 1}],
    })  # fmt: skip
    plan = Plan.objects.get(public_id=plan_id)
    assert plan.name == "Starter" and plan.trial_length_days == 14
    assert plan.trial_spending_cap == 5000
    (charge,) = plan.charges.all()
    assert charge.price == 2000 and charge.quantity == 1 and charge.charge_type == "fixed"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "X", "charges": [], "colour": "red"}, "colour: unknown field."),
        ({"name": "X", "charges": [{"charge_type": "fixed", "product_id": "nope", "price": 1}]},
         "charges[0].product_id: no such product."),
        ({"name": "X", "charges": [{"charge_type": "usage", "product_id": "{p}", "price": 1}]},
         "charges[0].product: a usage charge needs a USAGE product."),
        ({"name": "X", "charges": [{"charge_type": "fixed", "product_id": "{p}", "prise": 1}]},
         "charges[0].prise: unknown field."),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_and_nothing_is_made(tmp_path, product, spec, message):
    text = json.dumps(spec).replace("{p}", str(product.public_id))
    with pytest.raises(CommandError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _run(tmp_path, json.loads(text))
    assert not Plan.objects.exists()
