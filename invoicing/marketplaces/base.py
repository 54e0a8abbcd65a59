"""One interface for metering to cloud marketplaces (AWS first; Azure and GCP configurations are
stored and validated, their adapters come next).

A marketplace bills the customer itself: we report what the customer owes as usage of one
dimension of the listing, in the currency's minor unit, and record the marketplace's answer.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class UsageRecord:
    customer_identifier: str  # the marketplace's id for the customer
    dimension: str
    quantity: int  # units of the dimension (for amounts: minor units, e.g. USD cents)
    timestamp: datetime  # kept from the first attempt, so a resend is a duplicate, not a second


@dataclass(frozen=True)
class MeterResult:
    accepted: bool  # recorded by the marketplace (a duplicate of a recorded one counts)
    external_id: str  # the marketplace's record id
    error: str = ""
    retry: bool = False  # not processed this time (throttling): send the same record again


class MarketplaceMeter(ABC):
    billing_provider: str

    @abstractmethod
    def submit(self, record: UsageRecord, configuration: dict) -> MeterResult:
        """Send one record; `configuration` is the customer's (ids, product, region)."""
