"""manage.py create_plan FILE: a plan from a JSON file, through plans.services.plan_create (the
same checks as every plan gets). The API has no create-plan call (Metronome's neither), so this
is how an operator defines one. Prices in the credit type's unit (USD: cents), as on the wire:

    {"name": "Starter", "description": "Self-serve", "credit_type_id": "<uuid, optional>",
     "trial_length_days": 14, "trial_spending_cap": 5000,
     "charges": [
       {"charge_type": "usage", "product_id": "<USAGE product>", "price": 5},
       {"charge_type": "usage", "product_id": "<USAGE product>",
        "tiers": [{"tier": 0, "value": 5}, {"tier": 1000, "value": 3}]},
       {"charge_type": "fixed", "product_id": "<SUBSCRIPTION product>", "price": 2000,
        "quantity": 1}]}
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing_console.api import ApplicationError
from plans.services import plan_create
from pricing.models import CreditType, Product

PLAN_KEYS = {"name", "description", "credit_type_id", "trial_length_days", "trial_spending_cap",
             "custom_fields", "charges"}  # fmt: skip
CHARGE_KEYS = {"charge_type", "product_id", "name", "price", "tiers", "quantity", "start_period",
               "custom_fields"}  # fmt: skip


def _refuse_unknown(given: dict, known: set[str], where: str) -> None:
    """A key this command would not honour is refused, not dropped."""
    unknown = sorted(set(given) - known)
    if unknown:
        raise CommandError(f"{where}{unknown[0]}: unknown field.")


def _product(charge: dict, index: int) -> Product:
    try:
        return Product.objects.get(public_id=charge.get("product_id"), archived_at__isnull=True)
    except (Product.DoesNotExist, ValueError, ValidationError) as err:
        raise CommandError(f"charges[{index}].product_id: no such product.") from err


class Command(BaseCommand):
    help = "Create a plan (and its charges) from a JSON file; prints the plan's id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            spec = json.loads(file.read_text(), parse_float=Decimal)
        except (OSError, ValueError) as err:
            raise CommandError(f"{file}: {err}") from err
        if not isinstance(spec, dict):
            raise CommandError(f"{file}: a JSON object is expected.")
        _refuse_unknown(spec, PLAN_KEYS, "")
        for index, charge in enumerate(spec.get("charges") or []):
            _refuse_unknown(charge, CHARGE_KEYS, f"charges[{index}].")
        credit_type = None
        if spec.get("credit_type_id"):
            credit_type = CreditType.objects.filter(public_id=spec["credit_type_id"]).first()
            if credit_type is None:
                raise CommandError("credit_type_id: no such credit type.")
        charges = [
            {**charge, "product": _product(charge, index)}
            for index, charge in enumerate(spec.get("charges") or [])
        ]
        cap = spec.get("trial_spending_cap")
        try:
            plan = plan_create(
                name=spec.get("name") or "",
                description=spec.get("description") or "",
                charges=charges,
                credit_type=credit_type,
                trial_length_days=spec.get("trial_length_days"),
                trial_spending_cap=Decimal(str(cap)) if cap is not None else None,
                custom_fields=spec.get("custom_fields") or {},
            )
        except ApplicationError as err:
            raise CommandError(err.message) from err
        self.stdout.write(str(plan.public_id))
