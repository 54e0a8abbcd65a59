import uuid

from django.db import migrations

# ISO 4217 currencies shipped as fiat credit types, with their minor-unit exponents.
FIAT = {
    "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "CAD": 2, "AUD": 2, "CHF": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "INR": 2, "BRL": 2, "MXN": 2, "SGD": 2, "HKD": 2, "NZD": 2,
    "KRW": 0, "CNY": 2, "ZAR": 2, "PLN": 2, "KWD": 3, "BHD": 3,
}  # fmt: skip
USD_CENTS_ID = uuid.UUID("2714e483-4ff1-48e4-9e25-ac732e8f24f2")


def create(apps, schema_editor):
    CreditType = apps.get_model("pricing", "CreditType")
    for code, exponent in FIAT.items():
        unit = {0: "units", 2: "cents", 3: "mills"}[exponent]
        public_id = USD_CENTS_ID if code == "USD" else uuid.uuid5(uuid.NAMESPACE_URL, f"credit-type:{code}")
        CreditType.objects.get_or_create(
            currency_code=code,
            defaults={"public_id": public_id, "name": f"{code} ({unit})", "is_fiat": True, "decimal_places": 0},
        )


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
