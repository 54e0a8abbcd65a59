"""Who did it: actor, IP address and user agent on every audit entry, console and API alike.

django-auditlog's own middleware only knows the session user, and DRF authenticates bearer
tokens later, inside the view. This middleware opens the auditlog context for the whole request
with a mutable dict; `audit_set_actor` fills in the actor once the API has authenticated.
"""

import ipaddress
import uuid
from collections.abc import Callable

from auditlog.cid import correlation_id, get_cid, set_cid
from auditlog.context import auditlog_value, set_extra_data
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.db.models.signals import pre_save
from django.http import HttpRequest, HttpResponse
from django.utils.encoding import smart_str

from billing_console.audit_noise import meaningful_changes
from billing_console.lib.bulk import bulk_insert


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. X-Forwarded-For counts only behind TRUSTED_PROXY_COUNT = n proxies
    of ours: its n-th address from the right is the one the outermost of them saw, and every
    address left of it came from the client, who can write anything there. REMOTE_ADDR when no
    proxy is trusted, or the header is short (the request bypassed a proxy) or not an address."""
    remote_addr = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote_addr
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote_addr
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote_addr


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_cid(request)
        if get_cid() is None:  # every entry of one request shares a request id
            correlation_id.set(uuid.uuid4().hex)
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        context = {
            "actor": actor,
            "remote_addr": client_ip(request),
            "additional_data": {
                "user_agent": request.headers.get("User-Agent", "")[:500],
                "via": "console" if actor else "api",
            },
        }
        try:
            with set_extra_data(context_data=context):
                return self.get_response(request)
        finally:
            correlation_id.set(None)  # work done later in this thread is not this request's


def audit_set_actor(actor: AbstractBaseUser, **extra: str) -> None:
    """Attach the authenticated actor (e.g. an API token's service user) to this request's audit."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    context["actor"] = actor
    context.setdefault("additional_data", {}).update(extra)


def log_entry(instance: Model, action: int, changes):
    """The LogEntry django-auditlog would write for `instance` (not saved: a bulk writer inserts
    it), with this context's request id, actor and extra data: auditlog's own pre_save
    receivers set them, as they do for its own entries."""
    from auditlog.cid import get_cid
    from auditlog.models import LogEntry

    pk = LogEntry.objects._get_pk_value(instance)
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=pk,
        object_id=pk if isinstance(pk, int) else None,
        object_repr=smart_str(instance),
        serialized_data=LogEntry.objects._get_serialized_data_or_none(instance),
        action=action,
        changes=changes,
        cid=get_cid(),
    )
    if callable(getattr(instance, "get_additional_data", None)):
        entry.additional_data = instance.get_additional_data()
    pre_save.send(sender=LogEntry, instance=entry, raw=False, using=None, update_fields=None)
    return entry


def audit_updates_bulk(changes: list[tuple[Model, Model, list[str] | None]]) -> None:
    """The entries django-auditlog would write for `(old, new, update_fields)` saves, in one
    INSERT (a batch of rows updated with bulk_update, which sends no signals). Each is written
    only when the diff is not empty, with this context's actor, request id and extra data, as
    auditlog's own pre_save receivers would."""
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry

    entries = []
    for old, new, fields in changes:
        diff = model_instance_diff(
            old,
            new,
            fields_to_check=fields,
            use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES,
        )
        diff = meaningful_changes(type(new), diff)  # "300.000000000000 → 300" is no change
        if not diff:
            continue
        entries.append(log_entry(new, LogEntry.Action.UPDATE, diff))
    bulk_insert(LogEntry, entries)
