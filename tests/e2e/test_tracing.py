"""OpenTelemetry traces from a real `channelhub serve`, read back by a real OTLP/HTTP receiver:
the HTTP span continues the caller's `traceparent`, with the GraphQL operation, resolver, SQL,
Redis and S3 spans under it, and background jobs traced on their own."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from hub.demo import DEMO_PASSWORD
from hub.demo.channel import VENDOR_ADMIN
from tests.e2e.conftest import clean_env, served
from tests.services import service_env


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP (protobuf) trace receiver keeping every span it was sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Export)
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"

    def all(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.spans)


class _Export(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        request = ExportTraceServiceRequest.FromString(body)
        with self.server.lock:
            for resource in request.resource_spans:
                service = {a.key: a.value.string_value for a in resource.resource.attributes}
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        self.server.spans.append(
                            {
                                "name": span.name,
                                "trace": span.trace_id.hex(),
                                "id": span.span_id.hex(),
                                "parent": span.parent_span_id.hex(),
                                "scope": scope.scope.name,
                                "service": service.get("service.name"),
                                "attributes": {
                                    a.key: a.value.string_value or a.value.int_value
                                    for a in span.attributes
                                },
                            }
                        )
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def spans_of(receiver: Receiver, trace_id: str, parent: str) -> list[dict[str, Any]]:
    """The spans of a trace, once its server span (the last to end) arrived."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [span for span in receiver.all() if span["trace"] == trace_id]
        if any(span["parent"] == parent for span in found):
            return found
        time.sleep(0.1)
    return [span for span in receiver.all() if span["trace"] == trace_id]


def test_a_traced_request_continues_its_callers_trace_down_to_sql_redis_and_s3(
    tmp_path: Path, receiver: Receiver
) -> None:
    env = clean_env(
        CHANNELHUB_VAR_DIR=str(tmp_path / "var"),
        CHANNELHUB_OTLP_ENDPOINT=receiver.endpoint,
        CHANNELHUB_BROADCAST_URL=service_env("REDIS_URL"),
        CHANNELHUB_OBJECT_STORE="s3",
        CHANNELHUB_S3_ENDPOINT_URL=service_env("S3_ENDPOINT"),
        CHANNELHUB_S3_BUCKET=f"traces-{secrets.token_hex(4)}",
        CHANNELHUB_S3_REGION=service_env("S3_REGION"),
        CHANNELHUB_S3_ACCESS_KEY=service_env("S3_ACCESS_KEY"),
        CHANNELHUB_S3_SECRET_KEY=service_env("S3_SECRET_KEY"),
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
    traceparent = {"traceparent": f"00-{trace_id}-{parent}-01"}
    with served(tmp_path, env) as base:
        login = (
            "mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
        )
        token = httpx.post(
            f"{base}/graphql",
            json={"query": login, "variables": {"e": VENDOR_ADMIN[0], "p": DEMO_PASSWORD}},
            timeout=30,
        ).json()["data"]["login"]["token"]
        create = """mutation Traced { createLead(input: {customerCompany: "Traced Co",
          country: "US", productLine: "NETWORKING", region: "US-CA"}) { id status } }"""
        created = httpx.post(
            f"{base}/graphql",
            json={"query": create},
            headers={**traceparent, "authorization": f"Bearer {token}"},
            timeout=30,
        )
        ready_trace = secrets.token_hex(16)
        ready = httpx.get(
            f"{base}/readyz", headers={"traceparent": f"00-{ready_trace}-{parent}-01"}, timeout=30
        )
        spans = spans_of(receiver, trace_id, parent)
        readiness = spans_of(receiver, ready_trace, parent)

    assert "errors" not in created.json(), created.text
    assert ready.status_code == 200, ready.text
    by_id = {span["id"]: span for span in spans}
    server = [span for span in spans if span["parent"] == parent]
    assert len(server) == 1 and server[0]["scope"].startswith("opentelemetry.instrumentation.asgi")
    assert all(span["service"] == "channelhub" for span in spans)

    def under_server(span: dict[str, Any]) -> bool:
        while span["parent"] in by_id:
            span = by_id[span["parent"]]
        return span is server[0]

    names = [span["name"] for span in spans]
    assert "GraphQL Query: Traced" in names
    assert "GraphQL Resolving: createLead" in names
    sql = [s for s in spans if s["scope"].startswith("opentelemetry.instrumentation.sqlalchemy")]
    redis = [s for s in spans if s["scope"].startswith("opentelemetry.instrumentation.redis")]
    assert sql and redis, sorted(set(names))
    assert all(under_server(span) for span in spans), [(s["name"], s["parent"]) for s in spans]
    resolver = next(s for s in spans if s["name"] == "GraphQL Resolving: createLead")
    assert not any(key.startswith("graphql.param") for key in resolver["attributes"])
    s3 = [s for s in readiness if s["scope"].startswith("opentelemetry.instrumentation.botocore")]
    assert s3 and s3[0]["name"] == "S3.HeadBucket", [s["name"] for s in readiness]
    assert any(span["name"].startswith("job ") for span in receiver.all())
