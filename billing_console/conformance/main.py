"""The run: sdist, server, two pytest passes, report. See the package docstring for the policy."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from billing_console.conformance import classify, sdist
from billing_console.conformance.ids import ID_KIND, demo_ids
from billing_console.conformance.server import DEMO_TOKEN, demo_server

ROOT = Path(__file__).resolve().parents[2]
# Run last on the real-ids pass, in this order (they change or retire the ids others use).
LAST = {"update_end_date": 1, "reset": 1, "end": 1, "delete_values": 1, "remove_key": 1,
        "regenerate": 2, "archive": 3, "void": 3, "delete": 3,
        "archive_billing_configurations": 3}  # fmt: skip


def run_pytest(work: Path, base_url: str, records: Path, targets: list[str], log: Path) -> list:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",  # pass 2 rewrites sources of the same size
        "TEST_API_BASE_URL": base_url,
        "TEST_API_BEARER_TOKEN": DEMO_TOKEN,
        "CONFORMANCE_RECORDS": str(records),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--rootdir", str(work),
               "-c", str(work / "pytest.ini"), "--tb=line", *targets]  # fmt: skip
    with open(log, "w") as out:
        code = subprocess.run(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    if code.returncode not in (0, 1):
        raise SystemExit(f"pytest exited with {code.returncode}; see {log}")
    return classify.read(records)


def second_pass_tests(records: list[dict]) -> list[str]:
    """Each method's all-params tests (else its plain ones), destructive methods last."""
    by_method: dict[str, dict[str, list[str]]] = {}
    for record in records:
        nodeid = record["nodeid"].split("[")[0]
        method, kind = sdist.method_of(nodeid)
        tests = by_method.setdefault(method, {}).setdefault(kind, [])
        if nodeid not in tests:
            tests.append(nodeid)
    chosen = []
    for method, kinds in by_method.items():
        for test in kinds.get("with_all_params") or kinds.get("method") or []:
            chosen.append((LAST.get(method.rsplit(".", 1)[1], 0), test))
    return [test for _, test in sorted(chosen, key=lambda pair: pair[0])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sdist", type=Path, help="use this sdist instead of downloading one")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = parser.parse_args(argv)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="sdk_conformance-"))
    try:
        version = sdist.pinned_version(ROOT)
        if args.sdist:
            archive = args.sdist
        else:
            (tmp / "download").mkdir()
            archive = sdist.download(version, tmp / "download")
        work = sdist.unpack(archive, tmp / "sdk")
        (tmp / "var").mkdir()
        print(f"metronome-sdk {version}: {archive.name}; setting up the demo server", flush=True)
        with demo_server(ROOT, tmp / "var") as base_url:
            print(f"server at {base_url}; pass 1 (placeholder ids)", flush=True)
            first = run_pytest(work, base_url, tmp / "pass1.jsonl", ["tests/api_resources"],
                               tmp / "pass1.log")  # fmt: skip
            ids = demo_ids(base_url, DEMO_TOKEN)
            chosen = second_pass_tests(first)
            replaced = sdist.rewrite_ids(
                work / "tests" / "api_resources", ids, ID_KIND, set(chosen)
            )
            print(f"pass 2 (real ids): {len(chosen)} tests, ids replaced: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(replaced.items())), flush=True)  # fmt: skip
            second = run_pytest(work, base_url, tmp / "pass2.jsonl", chosen, tmp / "pass2.log")
        passes = {
            classify.PLACEHOLDERS: classify.classified(first, real_ids=False),
            classify.REAL_IDS: classify.classified(second, real_ids=True),
        }
        ok = classify.report(passes, sys.stdout)
        elapsed = time.monotonic() - started
        verdict = "PASSED" if ok else "FAILED"
        print(
            f"\nSDK conformance {verdict} in {elapsed:.0f} s ({len(first)} + {len(second)} tests)"
        )
        return 0 if ok else 1
    except SystemExit as stop:
        print(f"sdk_conformance: {stop}", file=sys.stderr)
        args.keep = True
        return 2
    finally:
        if args.keep:
            print(f"work directory kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
