"""The database time budget: a statement over it fails, and the budget ends with the block."""

import pytest
from django.db import DatabaseError, connection, transaction

from billing_console.db_budget import time_budget

# A statement that takes far longer than a millisecond on both databases.
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
    "SELECT COUNT(*) FROM n"
)


def _timeout() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_statement_over_budget_fails_and_the_session_gets_its_setting_back():
    before = _timeout()
    with pytest.raises(DatabaseError), time_budget(1), connection.cursor() as cursor:
        cursor.execute(SLOW)
    assert _timeout() == before
    with time_budget(60_000), connection.cursor() as cursor:  # within budget: answered
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
    assert _timeout() == before


@pytest.mark.django_db
def test_inside_a_transaction_the_savepoint_takes_the_budget_with_it():
    before = _timeout()
    with pytest.raises(DatabaseError), transaction.atomic():
        with time_budget(1), connection.cursor() as cursor:
            cursor.execute(SLOW)
    assert _timeout() == before
    with connection.cursor() as cursor:  # the outer transaction is still usable
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
