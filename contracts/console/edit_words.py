"""Overrides and subscriptions changed in place, in words, for the edit history, from what the
edit recorded before applying (contracts/edit_previous.py): "Storage: 20% off list → 25% off
list" for an override replaced (removed and re-added in one edit), "Team seats: quantity 10 → 12
from Feb 1, 2026" for a subscription. Edits recorded before Dec 2026 kept no old values: they
read as the removal and addition, or the change, they were."""

from collections.abc import Callable
from typing import Any

from django.utils.dateparse import parse_datetime

from billing_console.lib.wire_values import iso
from contracts.console.override_words import override_words

REPLACED_KEY = "remove_overrides, add_overrides"


def _moment(value: Any):
    return parse_datetime(value) if isinstance(value, str) else value


def _day(value: Any) -> str:
    moment = _moment(value)
    return f"{moment:%b} {moment.day}, {moment.year}" if moment else "open-ended"


def _was_now(what: str, old: str, new: str) -> str | None:
    return f"{what}{old} → {new}" if old != new else None


def _replaced_words(old: dict, new: dict, scope: tuple[str, str], unit: Any) -> str:
    """One override replaced: what differs between the removed terms and the added ones."""
    old_terms, new_terms = override_words(old, unit), override_words(new, unit)
    parts = [
        _was_now("", old_terms, new_terms),
        _was_now("from ", _day(old.get("starting_at")), _day(new.get("starting_at"))),
        _was_now("until ", _day(old.get("ending_before")), _day(new.get("ending_before"))),
    ]
    if old.get("priority") != new.get("priority"):
        parts.append(f"priority {old.get('priority', 'none')} → {new.get('priority', 'none')}")
    words = ", ".join(p for p in parts if p) or f"{new_terms}, unchanged"
    name = scope[0] if scope[0] == scope[1] else f"{scope[0]} → {scope[1]}"
    return f"{name}: {words}"


def _pairs(removed: list[str], added: list[dict], names: dict[str, str]) -> list[tuple[str, dict]]:
    """Removed ids paired with added overrides: the same scope first; then, if one of each is
    left, those two (the console's edit of an override's product or tags)."""
    pairs, left = [], list(added)
    for old_id in list(removed):
        same = next((a for a in left if names.get(a.get("id", "")) == names.get(old_id)), None)
        if same is not None:
            pairs.append((old_id, same))
            left.remove(same)
            removed = [r for r in removed if r != old_id]
    if len(removed) == 1 and len(left) == 1:
        pairs.append((removed[0], left[0]))
    return pairs


def overrides_replaced(
    body: dict, was: dict, names: dict[str, str], unit: Any
) -> tuple[list[str], dict]:
    """The overrides an edit replaced, in words, and the edit's body without them (so they do
    not read again as removed and added)."""
    recorded = was.get("remove_overrides") or {}
    removed = [i.get("id") if isinstance(i, dict) else i for i in body.get("remove_overrides") or []]  # fmt: skip
    added = [i for i in body.get("add_overrides") or [] if isinstance(i, dict)]
    pairs = _pairs([r for r in removed if r in recorded], added, names)
    if not pairs:
        return [], body
    lines = []
    for old_id, new in pairs:
        scope = (names.get(old_id, old_id), names.get(new.get("id", ""), ""))
        lines.append(_replaced_words(recorded[old_id], new, scope, unit))
    paired_ids, paired_items = {old_id for old_id, _ in pairs}, [new for _, new in pairs]
    rest = dict(body)
    rest["remove_overrides"] = [
        i for i, r in zip(body["remove_overrides"], removed, strict=True) if r not in paired_ids
    ]
    rest["add_overrides"] = [i for i in body["add_overrides"] if all(i is not p for p in paired_items)]  # fmt: skip
    return lines, {k: v for k, v in rest.items() if v != []}


def _end(value: Any) -> str:
    return f"before {_day(value)}" if value else "with the contract"


def _seat_words(action: str, update: dict) -> str:
    what = ", ".join(update["seat_ids"]) if "seat_ids" in update else update.get("quantity")
    return f"{action.replace('_', ' ')} {what} from {_day(update.get('starting_at'))}"


def _seats(seat_updates: dict, quantity_at: dict) -> list[str]:
    """Each seat update in words, the first at each moment with the quantity before → after."""
    parts, told = [], set()
    for action, updates in seat_updates.items():
        for update in updates:
            moment = iso(_moment(update.get("starting_at")))
            text, q = _seat_words(action, update), quantity_at.get(moment)
            if q and moment not in told:
                told.add(moment)
                text += f" (seats {q['was']} → {q['now']})"
            parts.append(text)
    return parts


def _quantity_words(updates: list[dict], quantity_at: dict) -> list[str]:
    moments = dict.fromkeys(iso(_moment(u.get("starting_at"))) for u in updates)
    return [
        f"quantity {quantity_at[m]['was']} → {quantity_at[m]['now']} from {_day(m)}"
        for m in moments
        if m in quantity_at
    ]


def subscription_changes(item: dict, old: dict, other: Callable[[str, Any], str]) -> list[str]:
    """One update_subscriptions item, old → new; `other` words what has no old value."""
    quantity_at = old.get("quantity_at") or {}
    parts: list[str] = []
    for key, value in item.items():
        words = None
        if key == "name":
            words = [f"name {old.get('name') or 'none'} → {value or 'none'}"]
        elif key == "ending_before":
            words = [f"ends {_end(old.get('ending_before'))} → {_end(value)}"]
        elif key == "quantity_updates":
            words = _quantity_words(value, quantity_at)
        elif key == "seat_updates":
            words = _seats(value, quantity_at)
        if key != "id":
            parts += words or [other(key, value)]
    return parts
