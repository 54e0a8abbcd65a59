from django import forms
from django.contrib.auth.models import User

from people.roles_text import ROLE_CHOICES, ROLE_HELP, ROLE_LABELS


class InviteForm(forms.Form):
    name = forms.CharField(max_length=300, help_text="First and last name.")
    email = forms.EmailField(
        max_length=150, help_text="They sign in with it; the set-password link goes to it."
    )
    role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        help_text="; ".join(f"{ROLE_LABELS[r]}: {ROLE_HELP[r]}" for r, _ in ROLE_CHOICES) + ".",
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A name is required.", code="required")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if (
            User.objects.filter(email__iexact=email).exists()
            or User.objects.filter(username__iexact=email).exists()
        ):
            raise forms.ValidationError(f"{email} already has a user.", code="taken")
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=255)
    ip_address = forms.GenericIPAddressField(required=False)
