"""Console pages: reports (roles, progress fragment, download) and the audit log (filters,
diffs, pages, streamed CSV)."""

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from customers.services import customer_create, customer_set_name
from reports.models import ReportRun, RunStatus
from reports.tests.factories import billed_world, read_csv


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"


@pytest.fixture
def billed(db):
    return billed_world()


def _start(client, django_capture_on_commit_callbacks, **data) -> ReportRun:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report-create"), data)
    assert response.status_code == 302, response.content[:300]
    return ReportRun.objects.get()


def test_finance_builds_a_report_and_reads_it_back(
    client, fiona, billed, django_capture_on_commit_callbacks
):
    client.force_login(fiona)
    run = _start(client, django_capture_on_commit_callbacks, dataset="invoices",
                 date_from="2026-01-01", date_to="2026-01-31")  # fmt: skip
    assert run.requested_by == fiona and run.status == RunStatus.SUCCEEDED
    assert run.params == {"starting_on": "2026-01-01T00:00:00Z",
                          "ending_before": "2026-02-01T00:00:00Z"}  # fmt: skip
    page = client.get(reverse("reports:report-detail", args=[run.public_id])).content.decode()
    assert "Download CSV" in page and 'hx-trigger="every 1s"' not in page
    response = client.get(reverse("reports:report-download", args=[run.public_id]))
    assert response["Content-Disposition"].startswith('attachment; filename="invoices-')
    rows = read_csv(b"".join(response.streaming_content))
    assert [(r["number"], r["total"]) for r in rows] == [("INV-000001", "1000")]


def test_the_progress_fragment_polls_while_running_and_stops_when_done(client, bob, billed):
    client.force_login(bob)
    run = ReportRun.objects.create(dataset="invoices", status=RunStatus.RUNNING,
                                   progress_done=3, progress_total=4)  # fmt: skip
    url = reverse("reports:report-detail", args=[run.public_id])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="run-progress"')
    assert 'hx-trigger="every 1s"' in fragment and 'value="3"' in fragment and "75%" in fragment
    run.status, run.progress_done = RunStatus.SUCCEEDED, 4
    run.save()
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and 'id="run-download"' in done
    assert "<html" not in done


def test_the_filters_name_the_window_in_words(client, bob, billed):
    client.force_login(bob)
    for window, word in (("DAY", "daily"), ("HOUR", "hourly")):
        run = ReportRun.objects.create(dataset="invoice_breakdowns", status=RunStatus.SUCCEEDED,
                                       params={"window_size": window})  # fmt: skip
        page = client.get(reverse("reports:report-detail", args=[run.public_id])).content.decode()
        assert f"all dates · {word}" in page


def test_read_only_can_look_and_download_but_not_run(
    client, fiona, bob, billed, django_capture_on_commit_callbacks
):
    client.force_login(fiona)
    run = _start(client, django_capture_on_commit_callbacks, dataset="customers")
    client.force_login(bob)
    assert (
        client.post(reverse("reports:report-create"), {"dataset": "customers"}).status_code == 403
    )
    listing = client.get(reverse("reports:report-list")).content.decode()
    assert "Customers" in listing and 'id="report-form"' not in listing
    download = client.get(reverse("reports:report-download", args=[run.public_id]))
    assert download.status_code == 200


def test_outsiders_and_deal_desk(client, charlie, dave, fiona, billed,
                                 django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(fiona)
    run = _start(client, django_capture_on_commit_callbacks, dataset="customers")
    client.force_login(charlie)  # signed in, no role
    assert client.get(reverse("reports:report-list")).status_code == 403
    assert client.get(reverse("reports:report-download", args=[run.public_id])).status_code == 403
    assert client.get(reverse("reports:audit-list")).status_code == 403
    client.force_login(dave)  # deal desk reads, finance and admins run
    assert (
        client.post(reverse("reports:report-create"), {"dataset": "customers"}).status_code == 403
    )
    assert client.get(reverse("reports:report-list")).status_code == 200


def test_bad_filters_come_back_on_the_form_with_422(client, fiona, billed):
    client.force_login(fiona)
    response = client.post(reverse("reports:report-create"),
                           {"dataset": "invoice_breakdowns", "date_to": "2026-01-31"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="report-builder">')
    assert "is required for invoice breakdowns." in html
    assert not ReportRun.objects.exists()


def test_a_report_without_a_file_is_not_downloadable(client, fiona, billed):
    client.force_login(fiona)
    run = ReportRun.objects.create(dataset="invoices")
    assert client.get(reverse("reports:report-download", args=[run.public_id])).status_code == 404


# -- audit log ---------------------------------------------------------------------------------


@pytest.fixture
def audited(client, alice):
    """Changes made through the console, as alice, from a known address."""
    client.force_login(alice)
    acme = customer_create(name="Acme")
    for name in ("Acme 2", "Acme 3"):
        client.post(reverse("customers:customer-set-name", args=[acme.public_id]), {"name": name},
                    HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="198.51.100.4")  # fmt: skip
    return acme


def test_audit_page_shows_who_what_and_the_diff(client, bob, audited):
    client.force_login(bob)
    html = client.get(reverse("reports:audit-list")).content.decode()
    assert ">Acme 3</a>" in html and '<span class="audit-field">name</span>' in html
    assert "<del>Acme 2</del> → <ins>Acme 3</ins>" in html
    assert "198.51.100.4" in html and "Firefox/140" in html and "alice@example.com" in html
    # made outside any request: a system change, shown only when asked for
    assert html.count('class="audit-entry') == 2
    # (resource_type: the fixture users' own creation is a system change too)
    with_system = client.get(
        reverse("reports:audit-list"), {"system": "on", "resource_type": "customer"}
    ).content.decode()
    assert with_system.count('class="audit-entry') == 3 and ">System<" in with_system


def test_audit_filters_by_resource_actor_and_date(client, bob, audited):
    client.force_login(bob)
    url = reverse("reports:audit-list")
    mine = client.get(url, {"resource_type": "customer", "resource_id": str(audited.public_id),
                            "system": "on"})  # fmt: skip
    assert mine.content.decode().count('class="audit-entry') == 3
    by_alice = client.get(url, {"actor": "alice"}).content.decode()
    assert by_alice.count('class="audit-entry"') == 2
    fragment = client.get(url, {"date_to": "2020-01-01"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="audit-table").content.decode()  # fmt: skip
    assert fragment.lstrip().startswith('<div id="audit-table">')
    assert "No audit entries match these filters." in fragment


def test_audit_pages(client, bob, db):
    acme = customer_create(name="Acme")
    for i in range(60):
        customer_set_name(customer=acme, name=f"Acme {i}")
    client.force_login(bob)
    only = {"actor": "system", "resource_type": "customer"}  # not the fixture users' creation
    first = client.get(reverse("reports:audit-list"), only).content.decode()
    assert first.count('class="audit-entry') == 50 and "Page 1 of 2 · 61 entries" in first
    second = client.get(reverse("reports:audit-list"), {**only, "page": 2})
    assert second.content.decode().count('class="audit-entry') == 11
    assert ">Acme</a>" in second.content.decode()


def test_audit_csv_is_streamed_with_the_filters_applied(client, bob, audited):
    client.force_login(bob)
    response = client.get(reverse("reports:audit-export"), {"actor": "alice", "sort": "date_asc"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    rows = read_csv(b"".join(response.streaming_content))
    assert [(r["action"], r["description"], r["ip"], r["user_agent"], r["actor_id"])
            for r in rows] == [
        ("update", "Updated customer “Acme 2”: name", "198.51.100.4", "Firefox/140", "alice"),
        ("update", "Updated customer “Acme 3”: name", "198.51.100.4", "Firefox/140", "alice"),
    ]  # fmt: skip
    assert rows[0]["changes"] == '{"name": ["Acme", "Acme 2"]}'
    assert rows[0]["resource_id"] == str(audited.public_id) and rows[0]["via"] == "console"


def test_audit_csv_neutralises_formula_like_cells(client, alice, bob, db):
    acme = customer_create(name="Acme")
    client.force_login(alice)
    client.post(reverse("customers:customer-set-name", args=[acme.public_id]),
                {"name": '=HYPERLINK("http://x")'}, HTTP_USER_AGENT="=cmd")  # fmt: skip
    client.force_login(bob)
    response = client.get(reverse("reports:audit-export"), {"actor": "alice"})
    [row] = read_csv(b"".join(response.streaming_content))
    assert row["user_agent"] == "'=cmd"
    assert row["changes"] == '{"name": ["Acme", "=HYPERLINK(\\"http://x\\")"]}'
