"""A commit's or credit's terms in words for the contract page's commits table: what usage it
pays for (as invoicing/rating/drawdown.py `commit_applies` reads them: any listed product, any
listed tag, or any specifier, each matching all it names) and its rollover."""

from decimal import Decimal

from pricing.models import Product


def product_names(commits) -> dict[str, str]:
    """Product id -> name, for every product the commits' terms name (one query)."""
    ids = set()
    for commit in commits:
        ids.update(commit.applicable_product_ids or ())
        ids.update(s["product_id"] for s in commit.specifiers or () if s.get("product_id"))
    if not ids:
        return {}
    return {str(p.public_id): p.name for p in Product.objects.filter(public_id__in=ids)}


def _values(values: dict) -> str:
    # Sorted: PostgreSQL's jsonb keeps a dict's keys in its own order, not as sent.
    return ", ".join(f"{key}={value}" for key, value in sorted(values.items()))


def _specifier(spec: dict, names: dict[str, str]) -> str:
    """'Calls tagged gpu where region=us-east-1'."""
    parts = [names.get(spec["product_id"], "a removed product") if spec.get("product_id") else ""]
    if spec.get("product_tags"):
        parts.append(f"tagged {' and '.join(spec['product_tags'])}")
    groups = {**(spec.get("pricing_group_values") or {}), **(spec.get("presentation_group_values") or {})}  # fmt: skip
    if groups:
        parts.append(f"where {_values(groups)}")
    text = " ".join(p for p in parts if p)
    return text if spec.get("product_id") else f"usage {text}".strip()


def pays_for_words(commit, names: dict[str, str]) -> str:
    """'Pays for Calls; usage tagged tokens' or 'Pays for any usage'."""
    ids, tags, specs = (
        commit.applicable_product_ids,
        commit.applicable_product_tags,
        commit.specifiers,
    )
    if not (ids or tags or specs):
        return "Pays for any usage"
    parts = [names.get(i, "a removed product") for i in ids or ()]
    if tags:
        parts.append(f"usage tagged {' or '.join(tags)}")
    parts += [_specifier(spec, names) for spec in specs or ()]
    return "Pays for " + "; ".join(parts)


def rollover_words(fraction: Decimal | None) -> str:
    """'50% of the unused balance rolls over' ('' without a rollover)."""
    if not fraction:
        return ""
    percent = (fraction * 100).normalize()
    return f"{percent:f}% of the unused balance rolls over"
