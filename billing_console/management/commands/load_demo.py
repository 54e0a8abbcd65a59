"""Demo data for `make run`: an AI company's billing. Safe to run again (idempotent).

Each domain app adds its part in `<app>/demo.py` with `load(stdout) -> None`, called in
dependency order after the customers below exist.
"""

from importlib import import_module
from importlib.util import find_spec

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from billing_console.custom_fields import custom_field_key_add
from billing_console.models import ApiToken, hash_token
from billing_console.roles import ADMIN, READ_ONLY
from billing_console.services import api_token_create
from customers.models import Customer
from customers.services import customer_create

# Apps whose demo.py extends the demo, in import-direction order.
DEMO_APPS = ("usage", "pricing", "contracts", "invoicing", "alerts", "reports")

DEMO_USERS = (
    # username, password, role, full name
    ("demo", "demo", ADMIN, "Dana Demo"),
    ("viewer", "viewer", READ_ONLY, "Vic Viewer"),
)
# A fixed, documented token for trying the API against the demo. Never use it in production.
DEMO_API_TOKEN = "bc_demo_token_for_local_use_only"

CUSTOMERS = (
    ("Acme Robotics", ["acme", "acme-robotics-prod"], {"region": "us", "tier": "enterprise", "account_owner": "jules@example.com"}),
    ("Globex Research", ["globex"], {"region": "eu", "tier": "enterprise", "account_owner": "sam@example.com"}),
    ("Initech AI", ["initech", "initech-staging"], {"region": "us", "tier": "growth", "account_owner": "jules@example.com"}),
    ("Umbrella Labs", ["umbrella"], {"region": "eu", "tier": "growth", "account_owner": "ari@example.com"}),
    ("Hooli Search", ["hooli"], {"region": "us", "tier": "enterprise", "account_owner": "sam@example.com"}),
    ("Pied Piper", ["piedpiper"], {"region": "us", "tier": "startup", "account_owner": "ari@example.com"}),
    ("Stark Analytics", ["stark"], {"region": "apac", "tier": "growth", "account_owner": "jules@example.com"}),
    ("Wayne Vision", ["wayne-vision"], {"region": "us", "tier": "startup", "account_owner": "ari@example.com"}),
)  # fmt: skip


class Command(BaseCommand):
    help = "Load a realistic demo (an AI company's customers, users, an API token). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        self._users()
        self._api_token()
        for key in ("region", "tier", "account_owner"):
            custom_field_key_add(entity="customer", key=key, enforce_uniqueness=False)
        created = 0
        for name, aliases, fields in CUSTOMERS:
            if not Customer.objects.filter(name=name).exists():
                customer_create(name=name, ingest_aliases=aliases, custom_fields=fields)
                created += 1
        for app in DEMO_APPS:
            if find_spec(app) is not None and find_spec(f"{app}.demo") is not None:
                import_module(f"{app}.demo").load(self.stdout)
        self.stdout.write(
            f"Demo loaded: {created} new customers. Sign in as demo/demo (admin) or viewer/viewer "
            f"(read-only). API token: {DEMO_API_TOKEN}"
        )

    def _users(self) -> None:
        user_model = get_user_model()
        for username, password, role, full_name in DEMO_USERS:
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                first, last = full_name.split(" ", 1)
                user.first_name, user.last_name = first, last
                user.set_password(password)
                user.is_staff = role == ADMIN
                user.save()
            user.groups.add(Group.objects.get(name=role))

    def _api_token(self) -> None:
        if ApiToken.objects.filter(token_hash=hash_token(DEMO_API_TOKEN)).exists():
            return
        token, _raw = api_token_create(name="demo")
        token.token_hash = hash_token(DEMO_API_TOKEN)
        token.display_prefix = DEMO_API_TOKEN[:10]
        token.save(update_fields=["token_hash", "display_prefix"])
