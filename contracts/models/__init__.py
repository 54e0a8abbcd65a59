"""Contracts: the deal. Commits, credits, overrides, scheduled charges, and their ledgers.

Amounts are Decimal in the contract's credit type unit (USD cents by default, as on the wire).
Commits and credits share one model (`Commit`, kind PREPAID | POSTPAID | CREDIT) because they
share access schedules, applicability and the drawdown ledger.
"""

from auditlog.registry import auditlog

from contracts.models.charges import (
    Override as Override,
)
from contracts.models.charges import (
    OverrideType as OverrideType,
)
from contracts.models.charges import (
    ScheduledCharge as ScheduledCharge,
)
from contracts.models.charges import (
    ScheduledChargeItem as ScheduledChargeItem,
)
from contracts.models.charges import (
    ThresholdCharge as ThresholdCharge,
)
from contracts.models.charges import (
    ThresholdChargeStatus as ThresholdChargeStatus,
)
from contracts.models.charges import (
    ThresholdKind as ThresholdKind,
)
from contracts.models.commits import (
    AccessSegment as AccessSegment,
)
from contracts.models.commits import (
    Commit as Commit,
)
from contracts.models.commits import (
    CommitInvoiceItem as CommitInvoiceItem,
)
from contracts.models.commits import (
    CommitKind as CommitKind,
)
from contracts.models.commits import (
    LedgerEntry as LedgerEntry,
)
from contracts.models.commits import (
    LedgerEntryType as LedgerEntryType,
)
from contracts.models.commits import (
    RecurringCommit as RecurringCommit,
)
from contracts.models.contract import (
    Contract as Contract,
)
from contracts.models.contract import (
    ContractEdit as ContractEdit,
)
from contracts.models.contract import (
    ContractNamedSchedule as ContractNamedSchedule,
)
from contracts.models.contract import (
    ContractQuerySet as ContractQuerySet,
)
from contracts.models.contract import (
    ContractTransition as ContractTransition,
)
from contracts.models.contract import (
    ContractUsageFilter as ContractUsageFilter,
)
from contracts.models.contract import (
    Frequency as Frequency,
)
from contracts.models.reporting_terms import (
    ResellerRoyalty as ResellerRoyalty,
)
from contracts.models.reporting_terms import (
    SpendTracker as SpendTracker,
)
from contracts.models.services_terms import (
    Discount as Discount,
)
from contracts.models.services_terms import (
    DiscountItem as DiscountItem,
)
from contracts.models.services_terms import (
    ProfessionalService as ProfessionalService,
)
from contracts.models.services_terms import (
    ProServiceInvoiceItem as ProServiceInvoiceItem,
)
from contracts.models.subscriptions import (
    QuantityChangeType as QuantityChangeType,
)
from contracts.models.subscriptions import (
    Subscription as Subscription,
)
from contracts.models.subscriptions import (
    SubscriptionQuantityChange as SubscriptionQuantityChange,
)

auditlog.register(Contract)
auditlog.register(Commit)
auditlog.register(AccessSegment)
auditlog.register(Override)
auditlog.register(ScheduledCharge)
auditlog.register(ScheduledChargeItem)
auditlog.register(ContractEdit)
auditlog.register(ContractTransition)
auditlog.register(RecurringCommit)
auditlog.register(Subscription)
auditlog.register(SubscriptionQuantityChange)
auditlog.register(ThresholdCharge)
auditlog.register(ContractUsageFilter)
auditlog.register(ContractNamedSchedule)
auditlog.register(Discount)
auditlog.register(DiscountItem)
auditlog.register(ProfessionalService)
auditlog.register(ProServiceInvoiceItem)
auditlog.register(SpendTracker)
auditlog.register(ResellerRoyalty)
