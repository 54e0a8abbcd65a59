"""SDK conformance gate: the official metronome-sdk's own generated tests against our API.

`bin/sdk_conformance` downloads the sdist of the metronome-sdk version pinned in
requirements*.txt (`pip download --no-deps --no-binary :all:`, the only download), unpacks its
`tests/` (api_resources and the conftest and utils they import), starts a live server on a fresh
demo database (`server.py`) and runs the SDK's sync tests twice with pytest:

1. **placeholder ids**: every test as generated, its ids the SDK's placeholders
   ("13117714-3f05-..."). Only the `strict` variant of each test runs: it validates the
   response as it parses it, then runs the same assert_matches_type as the `loose` one;
2. **real ids**: each method's all-params test (its plain test when it has none), placeholder
   ids given as a known parameter (`customer_id=`, `"product_id":`, a bare `id=` by resource)
   replaced by ids of the demo (`ids.py`), the placeholder cursor `next_page="next_page"`
   dropped; end-date moves, archives and voids run last.

Every test is classified (`classify.py`):

- `ok`, `skipped`;
- `404 placeholder id`: a JSON 404 naming the missing entity, on the first pass. Expected.
- `404 entity`: the same on the real-ids pass (an id of a kind the demo lacks, or not one we
  map). Reported, not failing.
- `route 404` (an HTML 404 or our JSON "No endpoint at ..."), `405`: **fail**, unless the method
  is in `KNOWN_MISSING` (then `not yet implemented`). A KNOWN_MISSING method that answered
  anything else is `now implemented: remove from KNOWN_MISSING` and **fails**, so the list
  stays honest.
- `5xx`, `response shape` (strict parsing's APIResponseValidationError, pydantic validation or
  an assert_matches_type failure), `error` (anything else: no answer, a crash in the test),
  `other 4xx` (401, 403, 413...): **fail**.
- `409`: reported, not failing (the tests create the same ingest aliases, keys... repeatedly).

400 policy: the SDK's generated values are valid by type but arbitrary by meaning (provider
fields of another provider, dates in either order, placeholder ids), so Metronome would refuse
many of them too and a 400 cannot by itself be called our mistake. A `400` is reported (with its
message, on both passes, for triage) and does not fail, **except** a 400 whose message names no
field (`400 naming no field`): the API promises "bad input gets a 400 naming the field", so
that fails on either pass. A 400 on the real-ids pass that is wrong (the all-params body is
valid for Metronome) is a conformance bug to file from the report.

Exit status: 0 when no test is in a failing class, 1 otherwise, 2 when the run itself broke.
"""
