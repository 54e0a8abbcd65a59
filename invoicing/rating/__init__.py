"""The rating core: one usage statement's lines and commit draws from a snapshot of plain
values, with no database access inside.

- snapshot.py: what a statement needs (contract terms, rates in force, product versions,
  usage quantities, what segments can give), frozen dataclasses;
- statement.py: the entry point (rate_statement; usage_questions for the loader), over
  usage_lines.py (usage priced by rate and override, periods cut at changes), prices.py (the
  price in force: rate card, then overrides), overrides.py (which overrides apply, in what
  precedence), rates.py (rates and versions at a moment), quantities.py (usage through the
  contract's usage filter), tiers.py (tiers spanning statements, quantity conversion),
  composite.py, trueups.py, subscriptions.py, drawdown.py (which segments pay for which
  lines) and draw_plan.py (its arithmetic);
- the Django side: loader.py and terms.py build the snapshot in a fixed number of queries,
  apply.py gives the results back as rows (invoicing.drawdown writes the ledger).

The core modules import no Django and call no selector (invoicing/tests/test_rating_core.py
checks it).
"""
