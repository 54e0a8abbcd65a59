"""What the contract page shows of its spend trackers (with what each accumulated this billing
period) and its reseller royalties. Read only: both are set through the API (create, v2 edit)."""

from decimal import Decimal

from django.utils import timezone

from contracts.models import Contract
from contracts.terms.reseller_royalties import OPTION_KEYS, contract_royalties
from contracts.terms.spend_accumulated import trackers_accumulated
from contracts.terms.spend_trackers import live_trackers
from pricing.models import Product

SOURCE_WORDS = {"MANUAL": "manual commits", "THRESHOLD_RECHARGE": "threshold recharges"}
DISCOUNTED_WORDS = {"DISCOUNTED_ONLY": "discounted only", "UNDISCOUNTED_ONLY": "undiscounted only"}
RESET_WORDS = {"BILLING_PERIOD": "each billing period"}


def _counts(specifiers: list[dict]) -> list[str]:
    """Each specifier in words: "Commit purchases: manual commits, threshold recharges"."""
    out = []
    for spec in specifiers:
        sources = ", ".join(SOURCE_WORDS.get(s, s) for s in spec["sources"])
        discounted = DISCOUNTED_WORDS.get(spec.get("discounted") or "ANY")
        out.append(f"Commit purchases: {sources}" + (f" ({discounted})" if discounted else ""))
    return out


def _tracker_rows(contract: Contract) -> list[dict]:
    trackers = live_trackers(contract)
    if not trackers:
        return []
    accumulated = trackers_accumulated(contract, trackers, timezone.now())
    return [
        {
            "tracker": tracker,
            "counts": _counts(tracker.applicable_spend_specifiers),
            "resets": RESET_WORDS.get(tracker.reset_frequency, tracker.reset_frequency),
            "accumulated": accumulated[tracker.pk],
        }
        for tracker in trackers
    ]


def _royalty_rows(contract: Contract) -> list[dict]:
    royalties = contract_royalties(contract)
    ids = {i for r in royalties for i in r.applicable_product_ids}
    names = {
        str(public_id): name
        for public_id, name in Product.objects.filter(public_id__in=ids).values_list(
            "public_id", "name"
        )
    }
    return [
        {
            "royalty": r,
            "percent": r.fraction * Decimal(100),
            "products": [names.get(i, i) for i in r.applicable_product_ids],
            "options": [
                (key.replace("_", " "), value)
                for group in OPTION_KEYS
                for key, value in getattr(r, group).items()
            ],
        }
        for r in royalties
    ]


def reporting_terms_context(contract: Contract) -> dict:
    return {"spend_trackers": _tracker_rows(contract), "royalties": _royalty_rows(contract)}


def reporting_added_words(key: str, item: dict) -> str:
    """An added tracker or royalty (as the edit's wire records it) in words, for the history."""
    if key == "add_spend_trackers":
        return f"{item['alias']}: " + "; ".join(_counts(item["applicable_spend_specifiers"]))
    percent = Decimal(str(item["fraction"])) * Decimal(100)
    return f"{item['reseller_type']} {percent.normalize():f}% from {item['starting_at'][:10]}"
