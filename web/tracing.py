"""OpenTelemetry traces, off unless OTLP_ENDPOINT is set.

On, every HTTP request is a server span (its parent taken from an incoming `traceparent`),
with the GraphQL operation, parse, validation and resolver spans below it (strawberry's
OpenTelemetryExtension, without argument values: they hold passwords and personal data), and
the SQL statements, Redis commands and S3 calls each request makes. Background jobs get a
span per job and round. Spans go in batches to an OTLP/HTTP collector; the SDK's own
variables apply (OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_EXPORTER_OTLP_HEADERS,
OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_SCHEDULE_DELAY).

The tracer provider is the process's: the first app to start tracing sets it, and the
instrumentations of Redis and botocore patch their libraries once per process.
"""

from __future__ import annotations

import logging
from importlib import metadata

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from hub.settings import Settings

logger = logging.getLogger("channelhub.tracing")
_provider: TracerProvider | None = None


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The process's tracer provider once tracing is on (set up by the first call); None off."""
    global _provider
    if not settings.otlp_endpoint:
        return None
    if _provider is None:
        resource = Resource.create(
            {"service.name": "channelhub", "service.version": _version()}
        ).merge(OTELResourceDetector().detect())  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
        )
        trace.set_tracer_provider(provider)
        RedisInstrumentor().instrument(tracer_provider=provider)
        BotocoreInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        _provider = provider
        logger.info("sending traces to %s", settings.otlp_endpoint)
    return _provider


def traced_http(app: ASGIApp, provider: TracerProvider | None) -> ASGIApp:
    """The HTTP app with a server span per request, when tracing is on."""
    if provider is None:
        return app
    return OpenTelemetryMiddleware(app, tracer_provider=provider)


def trace_engine(engine: AsyncEngine, provider: TracerProvider | None) -> None:
    """A span for each SQL statement the engine runs, when tracing is on."""
    if provider is not None:
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider)


def flush(provider: TracerProvider | None) -> None:
    """Send the spans still waiting (at shutdown)."""
    if provider is not None:
        provider.force_flush(timeout_millis=5000)


def _version() -> str:
    try:
        return metadata.version("channelhub")
    except metadata.PackageNotFoundError:
        return "0"
