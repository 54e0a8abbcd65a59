"""The official Node SDK (@metronome/sdk, pinned in sdk_node/package-lock.json) drives the core
flow against a live server: customer, metric, product, rate card, contract, ingest (with a
retried batch), contract and invoice reads."""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

SDK_DIR = Path(__file__).resolve().parents[2] / "sdk_node"

pytestmark = pytest.mark.sdk


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the Node SDK flow")
    if not (SDK_DIR / "node_modules" / "@metronome" / "sdk").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR, check=True, timeout=300
        )
    return SDK_DIR


def test_core_flow_through_the_node_sdk(node_sdk, live_server, api_token):
    env = {
        **os.environ,
        "METRONOME_BASE_URL": live_server.url,
        "METRONOME_BEARER_TOKEN": api_token,
        "FLOW_RUN_ID": uuid.uuid4().hex[:8],
    }
    done = subprocess.run(
        ["node", "flow.mjs"], cwd=node_sdk, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # 12 distinct events at 7 cents (the retried three are not counted again).
    assert result["line"] == [[12, 7, 84]]
    assert result["invoice_total"] == 84
    assert result["contract_id"] and result["rate_card_id"]
