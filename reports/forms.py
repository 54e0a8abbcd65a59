"""Console input for the audit log, reports and exports. HTML validation only: the services
validate again and name the field at fault."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms

from billing_console.forms import within_input_window
from customers.models import Customer
from reports.audit_log import SORTS, resource_types
from reports.datasets import DATASET_CHOICES, DATASETS, Dataset
from reports.datasets.major_units import report_header
from reports.models import Destination, ExportFormat, ExportFrequency
from reports.params import WINDOW_SIZES

DATE = forms.DateInput(attrs={"type": "date"})


def day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


def day_after(day: date | None) -> datetime | None:
    """The exclusive end of an inclusive 'to' date."""
    return day_start(day + timedelta(days=1)) if day else None


class AuditFilterForm(forms.Form):
    resource_type = forms.ChoiceField(required=False, label="Resource type")
    resource_id = forms.CharField(required=False, max_length=100, label="Resource id")
    actor = forms.CharField(required=False, max_length=150, label="Actor (username)")
    # Off: what background jobs did on their own is left out (Who = "system" finds it anyway).
    system = forms.BooleanField(required=False, label="Show system changes")
    date_from = forms.DateField(
        required=False, label="From", widget=DATE, validators=[within_input_window]
    )
    date_to = forms.DateField(
        required=False, label="To", widget=DATE, validators=[within_input_window]
    )
    sort = forms.ChoiceField(
        required=False, choices=[("date_desc", "Newest first"), ("date_asc", "Oldest first")]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = [(name, name.replace("_", " ")) for name in resource_types()]
        self.fields["resource_type"].choices = [("", "Any resource"), *types]

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") or SORTS[1]


class ReportForm(forms.Form):
    dataset = forms.ChoiceField(choices=DATASET_CHOICES)
    date_from = forms.DateField(
        required=False, label="From", widget=DATE, help_text="Inclusive, UTC.",
        validators=[within_input_window],
    )  # fmt: skip
    date_to = forms.DateField(
        required=False, label="To", widget=DATE, help_text="Inclusive, UTC.",
        validators=[within_input_window],
    )  # fmt: skip
    customer_id = forms.ChoiceField(required=False, label="Customer")
    window_size = forms.ChoiceField(
        required=False,
        label="Breakdown window",
        choices=[(size, size.title()) for size in WINDOW_SIZES],
        help_text="Invoice breakdowns only.",
    )
    include_void = forms.BooleanField(
        required=False,
        label="Include void invoices",
        help_text="Off: void invoices (and their lines) are left out.",
    )
    columns = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Columns"
    )
    # The dataset the ticked columns belong to: another one chosen since, its columns start all
    # ticked.
    columns_for = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customers = Customer.objects.order_by("name").values_list("public_id", "name")
        self.fields["customer_id"].choices = [
            ("", "All customers"),
            *((str(public_id), name) for public_id, name in customers),
        ]
        self.dataset = self._dataset()
        header = report_header(self.dataset)
        names = [column.name for column in self.dataset.columns]
        self.fields["columns"].choices = list(zip(names, header, strict=True))
        if self.is_bound and self.data.get("columns_for") != self.dataset.name:
            self.data = self.data.copy()
            self.data.setlist("columns", names)
        if self.is_bound:
            self.data = self.data.copy()
            self.data["columns_for"] = self.dataset.name
        else:
            self.initial.setdefault("columns", names)
            self.initial["columns_for"] = self.dataset.name
        if not self.dataset.voidable:
            del self.fields["include_void"]

    def _dataset(self) -> Dataset:
        name = self.data.get("dataset") if self.is_bound else self.initial.get("dataset")
        return DATASETS.get(str(name or ""), next(iter(DATASETS.values())))

    def clean_columns(self) -> list[str]:
        columns = self.cleaned_data["columns"]
        if not columns:
            raise forms.ValidationError("Tick at least one column.")
        return columns

    def params(self) -> dict[str, Any]:
        """The wire-shaped params the service validates."""
        data = self.cleaned_data
        every = len(data["columns"]) == len(self.dataset.columns)
        params: dict[str, Any] = {
            "starting_on": day_start(data.get("date_from")),
            "ending_before": day_after(data.get("date_to")),
            "customer_id": data.get("customer_id") or None,
            "window_size": data.get("window_size") or None,
            "columns": None if every else data["columns"],
            "include_void": True if data.get("include_void") else None,
        }
        return {key: value for key, value in params.items() if value is not None}


# Which form field a service error is about: "starting_on: ..." belongs to "From".
REPORT_FIELDS = {"starting_on": "date_from", "ending_before": "date_to"}
REPORT_FIELDS |= {"columns": "columns", "include_void": "include_void"}


SECRET_UNREADABLE_HELP = (
    "The stored one can no longer be decrypted (the server's encryption keys changed): "
    "enter it again."
)


class ExportScheduleForm(forms.Form):
    name = forms.CharField(max_length=120)
    dataset = forms.ChoiceField(choices=DATASET_CHOICES)
    format = forms.ChoiceField(choices=ExportFormat.choices)
    frequency = forms.ChoiceField(choices=ExportFrequency.choices, initial=ExportFrequency.DAILY)
    destination = forms.ChoiceField(choices=Destination.choices)
    local_directory = forms.CharField(
        required=False,
        max_length=300,
        help_text="Local: a folder inside the exports directory, e.g. finance/warehouse.",
    )
    s3_bucket = forms.CharField(required=False, max_length=200, label="S3 bucket")
    s3_prefix = forms.CharField(required=False, max_length=300, label="S3 key prefix")
    s3_endpoint_url = forms.CharField(
        required=False,
        max_length=300,
        label="S3 endpoint URL",
        help_text="For MinIO, R2 and others; blank: the server's setting, else AWS.",
    )
    s3_region = forms.CharField(required=False, max_length=40, label="S3 region")
    s3_access_key_id = forms.CharField(required=False, max_length=200, label="Access key id")
    s3_secret_access_key = forms.CharField(
        required=False,
        max_length=200,
        label="Secret access key",
        widget=forms.PasswordInput(render_value=False),
        help_text="Blank: keep the stored one (or use the server's credentials).",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(
        self, *args: Any, editing: bool = False, secret_unreadable: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # what a schedule exports is fixed: its watermark belongs to it
            del self.fields["dataset"]
        self.secret_unreadable = secret_unreadable
        if secret_unreadable:  # blank would keep a key no run can use
            self.fields["s3_secret_access_key"].help_text = SECRET_UNREADABLE_HELP
