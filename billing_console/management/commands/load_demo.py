"""Demo data for `make run`: an AI company's billing. Safe to run again (idempotent).

Each domain app adds its part in `<app>/demo.py` with `load(stdout) -> None`, called in
dependency order. `customers/demo.py` creates the demo customers and marks them; every other
part works on those customers only (`customers.demo.customers()`), never on every customer, so
a customer created by a user never receives demo usage, contracts or invoices.
"""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing_console.models import ApiToken, hash_token
from billing_console.roles import ADMIN, READ_ONLY
from billing_console.services import api_token_create

# Apps whose demo.py extends the demo, in import-direction order.
DEMO_APPS = (
    "customers", "usage", "pricing", "contracts", "invoicing", "plans", "alerts", "reports",
)  # fmt: skip

DEMO_USERS = (
    # username, password, role, full name
    ("demo", "demo", ADMIN, "Dana Demo"),
    ("viewer", "viewer", READ_ONLY, "Vic Viewer"),
)
# A fixed, documented token for trying the API against the demo. Never use it in production.
DEMO_API_TOKEN = "bc_demo_token_for_local_use_only"

REFUSED_WITHOUT_DEBUG = (
    "load_demo creates the users demo/demo and viewer/viewer and a published API token: it "
    "refuses to run with DEBUG off. Pass --force to load it anyway."
)


class Command(BaseCommand):
    help = "Load a realistic demo (an AI company's customers, users, an API token). Idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="load the demo even with DEBUG off"
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(REFUSED_WITHOUT_DEBUG)
        self._users()
        self._api_token()
        for app in DEMO_APPS:
            if find_spec(app) is not None and find_spec(f"{app}.demo") is not None:
                import_module(f"{app}.demo").load(self.stdout)
        self.stdout.write(
            "Demo loaded. Sign in as demo/demo (admin) or viewer/viewer (read-only). "
            f"API token: {DEMO_API_TOKEN}"
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
            # the roles migration makes the groups; a database flushed since (or a group
            # deleted by hand) gets them back, as roles are checked by group name
            user.groups.add(Group.objects.get_or_create(name=role)[0])

    def _api_token(self) -> None:
        if ApiToken.objects.filter(token_hash=hash_token(DEMO_API_TOKEN)).exists():
            return
        token, _raw = api_token_create(name="demo")
        token.token_hash = hash_token(DEMO_API_TOKEN)
        token.display_prefix = DEMO_API_TOKEN[:10]
        token.save(update_fields=["token_hash", "display_prefix"])
