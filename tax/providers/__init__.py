"""One interface for every tax provider: given an invoice's lines and where its customer is
taxed, the provider answers the tax per line and in total, under a transaction keyed by our
invoice id. Implementations: Avalara AvaTax and Anrok through their HTTP APIs, and Stripe Tax,
which Stripe computes on the synced Stripe invoice itself (automatic_tax).

Amounts cross this interface in the currency's minor unit (cents), as invoices store fiat
amounts; each provider converts to what its API takes.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2, upper case
    region: str = ""
    line2: str = ""


@dataclass(frozen=True)
class TaxLine:
    ref: str  # our line's public id: the provider's line id / number
    amount: int  # the line's total, minor units (negative for commits and credits applied)
    description: str
    item_code: str  # the provider's product: Avalara itemCode, Anrok productExternalId
    quantity: Decimal | None = None


@dataclass(frozen=True)
class TaxRequest:
    invoice_public_id: str  # each provider keys its transaction by it: retries replace it
    customer_code: str
    customer_name: str
    currency: str  # ISO 4217, upper case
    issued_at: datetime  # aware, UTC: when the invoice was issued
    address: Address | None
    lines: tuple[TaxLine, ...]
    commit: bool = True  # record it for filing (Avalara: commit_transactions)


@dataclass(frozen=True)
class LineResult:
    ref: str
    taxable: Decimal  # minor units, as the provider reports it
    tax: Decimal  # minor units, rounded by the provider
    jurisdictions: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TaxResult:
    transaction_id: str
    total_tax: Decimal  # minor units: the provider's figure, authoritative
    total_taxable: Decimal | None
    lines: tuple[LineResult, ...]
    committed: bool
    company_code: str = ""


class TaxProviderError(Exception):
    """The provider refused the request (`transient` False: retrying the same request cannot
    succeed until someone fixes the data) or could not be reached (`transient` True)."""

    def __init__(self, message: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status  # the HTTP status of a refusal


class TaxProvider(Protocol):
    name: str

    def calculate(self, request: TaxRequest) -> TaxResult: ...

    def void(self, *, transaction_id: str, company_code: str = "") -> None: ...
