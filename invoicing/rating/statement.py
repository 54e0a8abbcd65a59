"""One usage statement rated from its snapshot: the core's entry point. Usage lines, composite
lines, postpaid true-ups, subscription charges and scheduled charges consolidated onto the
statement (StatementSnapshot.usage_charges), then drawdown against commits and credits
and the lines of what they applied. No database, no clock: plain values in, lines and draws
out (the caller writes them: invoicing.rating.apply, invoicing.drawdown)."""

from dataclasses import dataclass

from billing_console.lib.money import round_line
from invoicing.rating.composite import composite_lines
from invoicing.rating.drawdown import PlannedDraw, applied_line, plan_drawdown
from invoicing.rating.lines import DraftLine
from invoicing.rating.quantities import Quantities
from invoicing.rating.snapshot import StatementSnapshot, UsageChargeTerms, UsageQuestion
from invoicing.rating.subscriptions import subscription_usage_lines
from invoicing.rating.trueups import postpaid_true_up_lines
from invoicing.rating.usage_lines import usage_lines


@dataclass(frozen=True)
class RatedStatement:
    lines: list[DraftLine]
    draws: list[PlannedDraw]


def usage_questions(snapshot: StatementSnapshot) -> list[UsageQuestion]:
    """The usage quantities rating the snapshot asks for that it does not hold, in the order
    asked. Some questions follow from the answers to others (merged pieces, tier blocks):
    add the answers and ask again until there are none."""
    quantities = Quantities(snapshot, discover=True)
    usage_lines(snapshot, quantities)
    return list(quantities.missing)


def rate_statement(snapshot: StatementSnapshot) -> RatedStatement:
    """The lines and commit draws of the statement. Raises MissingUsage when the snapshot
    lacks a quantity (see usage_questions)."""
    lines = usage_lines(snapshot, Quantities(snapshot))
    lines += composite_lines(snapshot, lines)
    lines += postpaid_true_up_lines(snapshot)
    lines += subscription_usage_lines(snapshot)
    lines += [usage_charge_line(snapshot, charge) for charge in snapshot.usage_charges]
    lines, draws = plan_drawdown(snapshot, lines)
    lines += [line for draw in draws if (line := applied_line(draw)) is not None]
    return RatedStatement(lines, draws)


def usage_charge_line(snapshot: StatementSnapshot, charge: UsageChargeTerms) -> DraftLine:
    """A scheduled charge item as a SCHEDULED line of the statement over the invoice's period:
    quantity x unit price, rounded once. Not drawn down, as on a SCHEDULED invoice."""
    return DraftLine(
        type="SCHEDULED", name=charge.name or charge.product.name, product=charge.product,
        starting_at=snapshot.invoice_period.start, ending_before=snapshot.invoice_period.end,
        quantity=charge.quantity, unit_price=charge.unit_price, total_unrounded=charge.amount,
        total=round_line(charge.amount, snapshot.places),
        scheduled_charge_public_id=charge.charge_public_id,
    )  # fmt: skip
