"""Spend trackers and reseller royalties of a create (`spend_trackers`, `reseller_royalties`) or
of a v2 edit (`add_spend_trackers`, `archive_spend_trackers`, `add_reseller_royalties`): the same
readers for both, so the same term gets the same answer either way. Neither changes what the
customer is billed."""

from typing import Any

from django.utils import timezone

from billing_console.wire import Reader
from contracts.models import Contract
from contracts.terms.reseller_royalties import reseller_royalties_create, royalty_to_wire
from contracts.terms.spend_trackers import (
    spend_tracker_to_wire,
    spend_trackers_archive,
    spend_trackers_create,
)


def reporting_terms_create(reader: Reader, contract: Contract) -> None:
    spend_trackers_create(reader, contract, "spend_trackers")
    reseller_royalties_create(reader, contract, "reseller_royalties")


def reporting_terms_edited(
    contract: Contract, reader: Reader, changes: dict[str, Any], wire: dict[str, Any]
) -> None:
    """A v2 edit's trackers (archived first, so an edit may replace a tracker under its alias)
    and royalties, recorded in its changes and its wire. The SDK's edit response names
    add_reseller_royalties; the trackers are recorded under the request's own keys."""
    if reader.has("archive_spend_trackers"):
        if archived := spend_trackers_archive(reader, contract, timezone.now()):
            changes["archive_spend_trackers"] = wire["archive_spend_trackers"] = archived
    trackers = spend_trackers_create(reader, contract, "add_spend_trackers")
    if trackers:
        changes["add_spend_trackers"] = [t.alias for t in trackers]
        wire["add_spend_trackers"] = [spend_tracker_to_wire(t) for t in trackers]
    royalties = reseller_royalties_create(reader, contract, "add_reseller_royalties")
    if royalties:
        changes["add_reseller_royalties"] = [str(r.public_id) for r in royalties]
        wire["add_reseller_royalties"] = [royalty_to_wire(r) for r in royalties]
