"""Upload throughput through the API next to a direct boto3 upload, and the hub's memory growth.

Needs an S3 store: run it under the test services, which export CHANNELHUB_TEST_S3_*:
    python scripts/services.py -- .venv/bin/python -m bench.uploads [--sizes 10,100,500]
Targets: >= 70% of direct throughput; peak RSS growth <= 64 MiB at 500 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx

CHANNELHUB = Path(sys.executable).parent / "channelhub"
MIB = 1024 * 1024
UPLOAD = 'mutation($file: Upload!) { uploadAsset(file: $file, input: {title: "Bench", kind: VIDEO}) { id } }'


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def make_file(folder: str, size_mib: int) -> Path:
    path = Path(folder) / f"bench-{size_mib}.pdf"
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        block = os.urandom(MIB)
        for _ in range(size_mib):
            handle.write(block)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,500")
    args = parser.parse_args()
    s3 = {
        key: os.environ[f"CHANNELHUB_TEST_S3_{key}"]
        for key in ("ENDPOINT", "ACCESS_KEY", "SECRET_KEY")
    }
    with tempfile.TemporaryDirectory() as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANNELHUB_")}
        env.update(
            CHANNELHUB_VAR_DIR=f"{folder}/var",
            CHANNELHUB_S3_BUCKET="bench-uploads",
            CHANNELHUB_S3_ENDPOINT_URL=s3["ENDPOINT"],
            CHANNELHUB_S3_ACCESS_KEY=s3["ACCESS_KEY"],
            CHANNELHUB_S3_SECRET_KEY=s3["SECRET_KEY"],
            CHANNELHUB_MAX_UPLOAD_BYTES=str(1024 * MIB),
        )
        subprocess.run(
            [
                str(CHANNELHUB),
                "create-admin",
                "--email",
                "bench@vendor.example",
                "--password",
                "bench-password-1",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        server = subprocess.Popen(
            [str(CHANNELHUB), "serve", "--port", "8799", "--no-demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = "http://127.0.0.1:8799"
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = 'mutation { login(email: "bench@vendor.example", password: "bench-password-1") { token } }'
            token = httpx.post(f"{base}/graphql", json={"query": login}).json()["data"]["login"][
                "token"
            ]
            client = boto3.client(
                "s3",
                endpoint_url=s3["ENDPOINT"],
                aws_access_key_id=s3["ACCESS_KEY"],
                aws_secret_access_key=s3["SECRET_KEY"],
                region_name="us-east-1",
            )
            workers = _worker_pid(server.pid)
            # One small upload first, so one-time costs (imports, the S3 client's connection
            # pool) count in neither the throughput nor the RSS growth.
            _upload(base, token, make_file(folder, 1))
            for size in (int(value) for value in args.sizes.split(",")):
                path = make_file(folder, size)
                # Reset the peak (VmHWM) to the current RSS, so the warm-up's peak is not counted.
                Path(f"/proc/{workers}/clear_refs").write_text("5")
                before = memory_kib(workers, "VmRSS")
                started = time.perf_counter()
                response = _upload(base, token, path)
                api_seconds = time.perf_counter() - started
                assert "errors" not in response.json(), response.text
                growth = (memory_kib(workers, "VmHWM") - before) / 1024
                started = time.perf_counter()
                client.upload_file(str(path), "bench-uploads", f"direct/{path.name}")
                direct_seconds = time.perf_counter() - started
                api, direct = size / api_seconds, size / direct_seconds
                print(
                    f"upload {size:4} MiB: API {api:6.1f} MiB/s, direct boto3 {direct:6.1f} MiB/s "
                    f"({api / direct * 100:3.0f}%), hub peak RSS growth {max(growth, 0):5.1f} MiB"
                )
                path.unlink()
        finally:
            server.terminate()
            server.wait(timeout=30)


def _upload(base: str, token: str, path: Path) -> httpx.Response:
    with path.open("rb") as handle:
        return httpx.post(
            f"{base}/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (path.name, handle, "application/pdf")},
            headers={"authorization": f"Bearer {token}", "apollo-require-preflight": "true"},
            timeout=600,
        )


def _worker_pid(pid: int) -> int:
    """`serve` runs uvicorn in-process with one worker: the hub is that process."""
    return pid


if __name__ == "__main__":
    main()
