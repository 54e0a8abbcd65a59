"""Background work of card payments: settling the Stripe invoice after a Checkout payment."""

import stripe
from celery import shared_task

_STRIPE_TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


@shared_task(autoretry_for=_STRIPE_TRANSIENT, retry_backoff=30, max_retries=8)
def checkout_settle_task(checkout_id: int) -> None:
    from payments.checkout import checkout_settle

    checkout_settle(row_id=checkout_id)


@shared_task
def checkouts_settle_sweep() -> int:
    """Beat: settlements whose task ran out of retries, tried again."""
    from payments.checkout import checkouts_unsettled

    due = checkouts_unsettled()
    for checkout_id in due:
        checkout_settle_task.delay(checkout_id)
    return len(due)
