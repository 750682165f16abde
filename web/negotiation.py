"""Media-type negotiation and parameter parsing for GraphQL over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub import json_input

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class RequestError(Exception):
    """A request that is not a well-formed GraphQL request; no execution happens."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class Persisted:
    """The stored document a request names instead of (or besides) sending it: by SHA-256
    (APQ's extensions.persistedQuery.sha256Hash, or documentId "sha256:<hex>"), or by a
    manifest's own id (documentId)."""

    sha256: str | None
    document_id: str | None = None


@dataclass(frozen=True)
class GraphQLParams:
    query: str  # "" while only a persisted document is named
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    persisted: Persisted | None = None


def response_media_type(accept: str | None) -> str | None:
    """Pick the response type from the Accept header; None when nothing acceptable."""
    if not accept or not accept.strip():
        return JSON
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept.split(",")):
        media, _, params = item.strip().partition(";")
        quality = _quality(params)
        media = media.strip().lower()
        if quality <= 0:
            continue
        if media in (GRAPHQL_RESPONSE, JSON):
            ranked.append((quality, -position, media))
        elif media in ("*/*", "application/*"):
            ranked.append((quality, -position, JSON))
    if not ranked:
        return None
    return max(ranked)[2]


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def check_json_content_type(content_type: str | None) -> None:
    """Accept application/json bodies in UTF-8 only."""
    media, _, params = (content_type or "").partition(";")
    if media.strip().lower() != JSON:
        raise RequestError(415, "send the request as Content-Type: application/json")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise RequestError(415, "the request body must be encoded as UTF-8")


def params_from_body(body: bytes) -> GraphQLParams:
    """Parse a POST body into GraphQL parameters."""
    data = decode_json(body, "the request body")
    if not isinstance(data, dict):
        raise RequestError(
            400, "the request body must be a JSON object (batching is not supported)"
        )
    return _params(data)


def params_from_query_string(values: dict[str, str]) -> GraphQLParams:
    """Parse GET query parameters; variables and extensions are JSON-encoded."""
    data: dict[str, Any] = dict(values)
    for name in ("variables", "extensions"):
        if name in data:
            data[name] = decode_json(data[name], f"the {name} parameter")
    return _params(data)


def params_from_operations(data: dict[str, Any]) -> GraphQLParams:
    """Parameters of the operations field of a multipart request."""
    return _params(data)


def decode_json(data: str | bytes, what: str) -> Any:
    """Decode JSON a client sent; anything undecodable or over a bound is a 400 naming it."""
    try:
        return json_input.loads(data)
    except json_input.JSONRefused as refused:
        raise RequestError(400, f"{what} is refused: {refused}") from None
    except ValueError:  # UnicodeDecodeError too
        raise RequestError(400, f"{what} is not valid JSON") from None


def _params(data: dict[str, Any]) -> GraphQLParams:
    query = data.get("query")
    persisted = _persisted(data.get("extensions"), data.get("documentId"))
    if persisted is not None and query is None:
        query = ""
    elif not isinstance(query, str) or not query.strip():
        raise RequestError(400, "the query parameter is required and must be a string")
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "the variables parameter must be an object")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "the operationName parameter must be a string")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "the extensions parameter must be an object")
    return GraphQLParams(query, variables, operation_name or None, extensions, persisted)


def _persisted(extensions: Any, document_id: Any) -> Persisted | None:
    if document_id is not None:
        if not isinstance(document_id, str) or not 0 < len(document_id) <= 200:
            raise RequestError(400, "the documentId parameter is a string of 1 to 200 characters")
        scheme, _, digest = document_id.partition(":")
        if scheme == "sha256":
            return Persisted(_sha256(digest, "documentId"))
        return Persisted(None, document_id)
    wanted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if wanted is None:
        return None
    if not isinstance(wanted, dict) or wanted.get("version") != 1:
        raise RequestError(400, "extensions.persistedQuery needs version 1 (the only one)")
    return Persisted(_sha256(wanted.get("sha256Hash"), "extensions.persistedQuery.sha256Hash"))


def _sha256(value: Any, where: str) -> str:
    digest = value.lower() if isinstance(value, str) else ""
    if len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
        raise RequestError(400, f"{where} must be a SHA-256 as 64 hexadecimal digits")
    return digest
