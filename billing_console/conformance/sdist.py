"""The SDK's own generated tests, from the sdist of the pinned `metronome-sdk`.

Only `tests/__init__.py`, `conftest.py`, `utils.py` and `tests/api_resources/` are unpacked. The
copy differs from the sdist in two ways, each written here: a conftest in `api_resources/`
overrides the `client` fixture (the sdist's has a fixed bearer token; ours reads the base URL and
the token from the environment, retries nothing and records every response), and, for the
second pass, placeholder ids are replaced by real ones (`rewrite_ids`). The `retrieve_pdf` tests
stay skipped as the sdist has them: they answer from a respx mock, never from a server.
"""

import re
import subprocess
import sys
import tarfile
from pathlib import Path

PACKAGE = "metronome-sdk"
PIN = re.compile(rf"^{PACKAGE}==([\w.+-]+)", re.MULTILINE)
KEEP = re.compile(r"^[^/]+/tests/(__init__\.py|conftest\.py|utils\.py|api_resources/.*\.py)$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# `customer_id="<uuid>"` (a keyword argument) or `"customer_id": "<uuid>"` (a dict key)
ID_LITERAL = re.compile(rf'(?P<head>\b(?P<kw>\w+)=|"(?P<key>\w+)": )"(?P<uuid>{UUID})"')
# The placeholder cursor `next_page="next_page"` is refused as it should be; the second pass
# drops it so that the list calls' other parameters are checked.
CURSOR = re.compile(r'^ +next_page="next_page",\n', re.MULTILINE)
TEST_DEF = re.compile(r"^    def (test_\w+)\(", re.MULTILINE)

CONFTEST = '''"""Written by billing_console.conformance: the client fixture, pointed at our server."""

from billing_console.conformance.fixtures import client  # noqa: F401
'''
PYTEST_INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
addopts = -p no:cacheprovider -p no:django -p billing_console.conformance.plugin
"""


def pinned_version(root: Path) -> str:
    """The version of metronome-sdk pinned in the project's requirements*.txt."""
    for path in sorted(root.glob("requirements*.txt")):
        match = PIN.search(path.read_text())
        if match:
            return match.group(1)
    raise SystemExit(f"{PACKAGE} is pinned in no requirements*.txt")


def download(version: str, dest: Path) -> Path:
    """The sdist, from the package index (the only download of the run)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--no-binary", ":all:", f"{PACKAGE}=={version}", "-d", str(dest)],
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"pip download of {PACKAGE}=={version} failed ({done.returncode})")
    found = sorted(dest.glob("metronome_sdk-*.tar.gz")) + sorted(
        dest.glob("metronome-sdk-*.tar.gz")
    )
    if not found:
        raise SystemExit(f"pip download left no sdist of {PACKAGE} in {dest}")
    return found[0]


def unpack(sdist: Path, dest: Path) -> Path:
    """The SDK's tests in dest/tests, ready to run against a live server; returns dest."""
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and KEEP.match(m.name)]
        if not any(m.name.endswith("/tests/conftest.py") for m in members):
            raise SystemExit(f"{sdist.name} has no tests/conftest.py")
        for member in members:
            target = dest / member.name.split("/", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            target.write_bytes(source.read())
    (dest / "tests" / "api_resources" / "conftest.py").write_text(CONFTEST)
    (dest / "pytest.ini").write_text(PYTEST_INI)
    return dest


def test_bodies(source: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each test method in a test module's source."""
    starts = [(m.group(1), m.start()) for m in TEST_DEF.finditer(source)]
    ends = [start for _, start in starts[1:]] + [len(source)]
    return [(name, start, end) for (name, start), end in zip(starts, ends, strict=True)]


def rewrite_ids(
    tests: Path, real_ids: dict[str, str], id_kind: dict[str, str], chosen: set[str]
) -> dict[str, int]:
    """In the chosen tests (nodeid prefixes `path::Class::test`), replace each placeholder id
    given as a known parameter by the real id of its kind, and drop the placeholder cursor. `real_ids` maps a parameter name
    (`customer_id`) to an id; `id_kind` maps a resource (`v1.alerts`) to the parameter name its
    bare `id` stands for. A key `<method or resource>:<param>` (`v1.customers.plans:customer_id`)
    gives that method's or resource's tests their own id of the kind (ids that must belong
    together with one taken from another customer). Returns the number of ids replaced per
    parameter name."""
    replaced: dict[str, int] = {}
    for path in sorted(tests.rglob("test_*.py")):
        relative = path.relative_to(tests.parents[1]).as_posix()  # tests/api_resources/...
        resource = resource_of(relative)
        source = path.read_text()
        out, last = [], 0
        for name, start, end in test_bodies(source):
            if not any(c.startswith(f"{relative}::") and c.endswith(f"::{name}") for c in chosen):
                continue

            method = method_of(f"{relative}::_::{name}")[0]

            def substitute(match: re.Match, resource: str = resource, method: str = method) -> str:
                param = match.group("kw") or match.group("key")
                if param == "id" and match.group("kw"):
                    param = id_kind.get(resource, "")
                real = next(
                    (real_ids[k] for k in (f"{method}:{param}", f"{resource}:{param}", param)
                     if real_ids.get(k)), None,
                )  # fmt: skip
                if not real:
                    return match.group(0)
                replaced[param] = replaced.get(param, 0) + 1
                return f'{match.group("head")}"{real}"'

            body = CURSOR.sub("", ID_LITERAL.sub(substitute, source[start:end]))
            out += [source[last:start], body]
            last = end
        path.write_text("".join([*out, source[last:]]))
    return replaced


def resource_of(relative: str) -> str:
    """`tests/api_resources/v1/customers/test_invoices.py` -> `v1.customers.invoices`."""
    parts = relative.split("api_resources/", 1)[1].removesuffix(".py").split("/")
    return ".".join([*parts[:-1], parts[-1].removeprefix("test_")])


def method_of(nodeid: str) -> tuple[str, str]:
    """(SDK method, test kind) of a test: `v1.customers.create`, `with_all_params`."""
    relative, _cls, name = nodeid.split("[")[0].split("::")
    name = name.removeprefix("test_")
    kind = "method"
    for prefix in ("method_", "raw_response_", "streaming_response_", "path_params_"):
        if name.startswith(prefix):
            kind, name = prefix.rstrip("_"), name.removeprefix(prefix)
            break
    if name.endswith("_with_all_params"):
        kind, name = "with_all_params", name.removesuffix("_with_all_params")
    return f"{resource_of(relative)}.{name}", kind
