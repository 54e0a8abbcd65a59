"""plans.demo: one plan with a usage and a fixed charge, one plan customer with a grant; again
adds nothing."""

from io import StringIO

import pytest

from plans import demo
from plans.models import CreditGrant, CustomerPlan, Plan

pytestmark = pytest.mark.django_db


def test_demo_plan_customer_and_grant_idempotent():
    from customers import demo as customers_demo

    customers_demo.load(StringIO())
    for _ in range(2):
        demo.load(StringIO())
    plan = Plan.objects.get()
    assert sorted(plan.charges.values_list("charge_type", flat=True)) == ["fixed", "usage"]
    row = CustomerPlan.objects.get()
    assert row.contract.rate_card == plan.rate_card and row.trial_credit is not None
    grant = CreditGrant.objects.get()
    assert grant.customer == row.customer and grant.grant_amount == 5000
    assert row.customer not in customers_demo.customers()  # the other demo parts leave it be
