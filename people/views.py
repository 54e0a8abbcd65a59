"""Settings → People (admins only): the console's users and roles, invitations, failed sign-ins;
and the page where an invited user chooses a password."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, User
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, role_required
from people import services, signin
from people.forms import InviteForm, RoleForm, UnlockForm
from people.roles_text import ROLE_CHOICES

TEMPLATE = "people/people.html"


def _people() -> list[User]:
    users = (
        User.objects.filter(api_token__isnull=True)
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        .order_by("-is_active", "first_name", "last_name", "username")
    )
    return list(users)


def _page(request: HttpRequest, *, form: InviteForm | None = None, link=None, status: int = 200):
    locks = signin.locks_current()
    locked_names = {lock.username.lower() for lock in locks}
    people = [
        {"user": user, "role": services.role_of(user), "role_text": services.role_text_of(user),
         "invited": not user.has_usable_password(), "locked": user.username.lower() in locked_names,
         "is_me": user.pk == request.user.pk}
        for user in _people()
    ]  # fmt: skip
    context = {
        "people": people,
        "role_choices": ROLE_CHOICES,
        "form": form or InviteForm(),
        "link": link,
        "locks": locks,
        "failures": signin.failures_recent(),
        "email_configured": services.email_configured(),
        "link_valid_days": round(settings.PASSWORD_RESET_TIMEOUT / 86400),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }
    return render(request, TEMPLATE, context, status=status)


def _refused(request: HttpRequest, err: ApplicationError) -> HttpResponse:
    messages.error(request, err.message)
    return _page(request, status=409 if err.code in ("last_admin", "self") else 422)


@require_GET
@login_required
@role_required(ADMIN)
def people_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
@role_required(ADMIN)
def person_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    try:
        link = services.person_invite(invited_by=request.user, **form.cleaned_data)
    except ApplicationError as err:
        form.add_error("email" if err.message.startswith("email") else None, err.message)
        return _page(request, form=form, status=422)
    messages.success(request, f"{services.person_name(link.user)} added.")
    return _page(request, link=link)


@require_POST
@login_required
@role_required(ADMIN)
def person_new_link(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id, api_token__isnull=True)
    try:
        link = services.person_new_link(user=user, by=request.user)
    except ApplicationError as err:
        return _refused(request, err)
    return _page(request, link=link)


@require_POST
@login_required
@role_required(ADMIN)
def person_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id, api_token__isnull=True)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "role: choose one of the roles.")
        return _page(request, status=422)
    before = services.role_text_of(user)
    try:
        services.person_set_role(user=user, role=form.cleaned_data["role"])
    except ApplicationError as err:
        return _refused(request, err)
    after = services.role_text_of(User.objects.get(pk=user.pk))
    if before != after:
        messages.success(request, f"{services.person_name(user)}: {before} → {after}.")
    return redirect("people:people")


@require_POST
@login_required
@role_required(ADMIN)
def person_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id, api_token__isnull=True)
    try:
        services.person_deactivate(user=user, by=request.user)
    except ApplicationError as err:
        return _refused(request, err)
    messages.success(request, f"{services.person_name(user)} deactivated: they cannot sign in.")
    return redirect("people:people")


@require_POST
@login_required
@role_required(ADMIN)
def person_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id, api_token__isnull=True)
    services.person_reactivate(user=user)
    messages.success(request, f"{services.person_name(user)} reactivated.")
    return redirect("people:people")


@require_POST
@login_required
@role_required(ADMIN)
def signin_unlock(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "username: which sign-in to unlock is missing.")
        return _page(request, status=422)
    data = form.cleaned_data
    signin.signin_unlock(username=data["username"], ip_address=data["ip_address"] or None)
    where = f" from {data['ip_address']}" if data["ip_address"] else ""
    messages.success(request, f"Unlocked {data['username']}{where}: they can sign in again.")
    return redirect("people:people")


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """An invited user (or one given a new link) chooses a password, then is signed in.
    Django's view: the token leaves the URL before the form shows; a used link stops working."""

    template_name = "people/set_password.html"
    success_url = reverse_lazy("home")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_user(self, uidb64: str) -> User | None:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None  # deactivated: no way in

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Password set. Welcome to the Billing Console.")
        return response


set_password = SetPasswordView.as_view()
