from django.core.management.base import BaseCommand

from billing_console.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token and print it once. Only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What uses the token.")

    def handle(self, *args, name: str, **options):
        token, raw = api_token_create(name=name)
        self.stderr.write(f"Created API token '{token.name}'. It is shown once; store it now:")
        self.stdout.write(raw)
