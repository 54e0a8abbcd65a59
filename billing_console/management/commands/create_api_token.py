from django.core.management.base import BaseCommand

from billing_console.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token and print it once. Only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What uses the token.")
        parser.add_argument(
            "--read-only",
            action="store_true",
            help="Only GET calls and the POSTs that only read (list, get, search, preview).",
        )

    def handle(self, *args, name: str, read_only: bool, **options):
        token, raw = api_token_create(name=name, read_only=read_only)
        scope = "read-only" if token.read_only else "full-access"
        self.stderr.write(
            f"Created {scope} API token '{token.name}'. It is shown once; store it now:"
        )
        self.stdout.write(raw)
