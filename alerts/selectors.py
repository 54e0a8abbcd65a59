"""Alert reads: a customer's alert states as the API and the console show them."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from alerts.evaluation import customer_matches
from alerts.models import Alert, AlertStatus, CustomerAlert
from customers.models import Customer


@dataclass
class CustomerAlertView:
    alert: Alert
    customer: Customer
    state: CustomerAlert | None  # None: not evaluated for this customer yet

    @property
    def status(self) -> str | None:
        """Metronome's customer_status: null once the alert is archived."""
        if self.alert.archived_at is not None:
            return None
        return self.state.status if self.state is not None else AlertStatus.EVALUATING


def alert_list(
    *, archived: bool | None = False, search: str = "", alert_type: str = ""
) -> QuerySet[Alert]:
    qs = Alert.objects.select_related("credit_type", "billable_metric", "customer")
    if archived is True:
        qs = qs.filter(archived_at__isnull=False)
    elif archived is False:
        qs = qs.filter(archived_at__isnull=True)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(customer__name__icontains=search))
    if alert_type:
        qs = qs.filter(alert_type=alert_type)
    return qs


def customer_alert_views(
    customer: Customer, *, include_enabled: bool = True, include_archived: bool = False
) -> list[CustomerAlertView]:
    """One entry per alert the customer is subject to, or per group value of a per-value alert
    (as many as have a state; one 'evaluating' entry before the first evaluation)."""
    alerts = Alert.objects.filter(Q(customer__isnull=True) | Q(customer=customer))
    if not include_archived:
        alerts = alerts.filter(archived_at__isnull=True)
    if not include_enabled:
        alerts = alerts.filter(archived_at__isnull=False)
    alerts = alerts.select_related("credit_type", "billable_metric").order_by("created_at", "pk")
    states: dict[int, list[CustomerAlert]] = {}
    for state in CustomerAlert.objects.filter(customer=customer).order_by("scope"):
        states.setdefault(state.alert_id, []).append(state)
    views = []
    for alert in alerts:
        if not customer_matches(alert, customer):
            continue
        views += [CustomerAlertView(alert, customer, s) for s in states.get(alert.pk, [])] or [
            CustomerAlertView(alert, customer, None)
        ]
    return views


def customer_alert_view(
    alert: Alert, customer: Customer, group_values: dict[str, str] | None = None
) -> CustomerAlertView:
    """The customer's state for one alert; with group_values, for that group value. Without
    them, a per-value alert reports a value in alarm if there is one."""
    states = list(CustomerAlert.objects.filter(alert=alert, customer=customer).order_by("scope"))
    if group_values:
        wanted = {k: v for k, v in group_values.items()}
        states = [s for s in states if s.group_values == wanted]
    alarmed = [s for s in states if s.status == AlertStatus.IN_ALARM]
    chosen = (alarmed or states or [None])[0]
    return CustomerAlertView(alert, customer, chosen)


def state_search(
    *, search: str = "", status: str = "", alert: Alert | None = None
) -> QuerySet[CustomerAlert]:
    """Customer states for the console, newest change first."""
    qs = CustomerAlert.objects.select_related("alert", "customer").filter(
        alert__archived_at__isnull=True
    )
    if alert is not None:
        qs = qs.filter(alert=alert)
    if status:
        qs = qs.filter(status=status)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(customer__name__icontains=term)
            | Q(customer__aliases__alias__icontains=term)
            | Q(alert__name__icontains=term)
            | Q(scope__icontains=term)
        ).distinct()
    return qs.order_by("-status_changed_at", "-pk")
