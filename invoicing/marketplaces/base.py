"""One interface for metering to cloud marketplaces (AWS, Azure, GCP).

Metering is hourly (invoicing/marketplaces/hourly.py records each hour's usage per dimension,
sending.py sends what is due): an adapter takes a batch of one listing's records and answers,
for each, whether the marketplace accepted it, refused it, or left it for a retry.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from customers.models import ConfiguredBillingProvider
from invoicing.marketplaces.models import MarketplaceMeterRecord


@dataclass(frozen=True)
class MeterResult:
    accepted: bool  # recorded by the marketplace (a duplicate of a recorded one counts)
    external_id: str = ""  # the marketplace's record id
    error: str = ""  # why not accepted (kept on the record, shown to finance)
    retry: bool = True  # not accepted: worth sending again (False: it can never succeed)


class MarketplaceMeter(ABC):
    billing_provider: str

    def __init__(self, provider: ConfiguredBillingProvider) -> None:
        self.provider = provider

    @abstractmethod
    def submit(self, records: Sequence[MarketplaceMeterRecord]) -> dict[int, MeterResult]:
        """Send the records (at most batch_size, one listing); {record pk: result}. A record
        missing from the answer was not processed and is retried. Raises on a transport
        failure (the whole batch is retried)."""
