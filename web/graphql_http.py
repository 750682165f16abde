"""GraphQL over HTTP: GET and POST on /graphql, per the GraphQL-over-HTTP specification."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from hub import idempotency, identity, persisted_queries
from hub.db import as_unavailable
from hub.errors import BadInput, HubError, RateLimited, Unavailable
from hub.runtime import Hub
from schema import documents
from schema.context import Context
from schema.documents import needs_login
from schema.errors import hub_error
from web import ide
from web.negotiation import (
    GRAPHQL_RESPONSE,
    GraphQLParams,
    RequestError,
    check_json_content_type,
    params_from_body,
    params_from_query_string,
    response_media_type,
)
from web.request_log import record_of
from web.uploads import is_multipart, receive_multipart

logger = logging.getLogger("channelhub.http")
QUERIES_ONLY = (OperationType.QUERY,)
QUERIES_AND_MUTATIONS = (OperationType.QUERY, OperationType.MUTATION)


async def graphql_endpoint(request: Request) -> Response:
    """Serve one GraphQL request over HTTP."""
    hub: Hub = request.app.state.hub
    schema: strawberry.Schema = request.app.state.schema
    if _wants_ide(request, hub):
        return ide.page()
    media = response_media_type(request.headers.get("accept"))
    if media is None:
        return _request_error(RequestError(406, f"accept {GRAPHQL_RESPONSE} or application/json"))
    try:
        if request.method == "POST" and is_multipart(request):
            async with receive_multipart(
                request,
                max_upload_bytes=hub.settings.max_upload_bytes,
                max_field_bytes=hub.settings.max_body_bytes,
            ) as sent:
                params, register = await _persisted(hub, sent)
                result, context = await _execute(
                    request, hub, schema, params, share_reads=False, register=register
                )
        else:
            params, register = await _persisted(
                hub, await _read_params(request, hub.settings.max_body_bytes)
            )
            key = request.headers.get("idempotency-key")
            if key is not None and request.method == "POST":
                return await _idempotent(request, hub, schema, params, key, media, register)
            # One connection for the token check and every resolver's reads. Not for uploads:
            # a request that streams files to the object store would hold it all along.
            async with hub.sharing_reads():
                result, context = await _execute(request, hub, schema, params, register=register)
    except PersistedQueryError as error:
        return _persisted_error(error, media)
    except HubError as error:  # an Idempotency-Key reused or still running
        return _json(
            {"errors": [hub_error(error)]}, 409 if error.code == "CONFLICT" else 400, media, {}
        )
    except RequestError as error:
        return _request_error(error, media)
    except InvalidOperationTypeError as error:
        return _operation_not_allowed(error, request.method, media)
    except CannotGetOperationTypeError as error:
        return _request_error(RequestError(400, error.as_http_error_reason()), media)
    except Exception as error:  # outside GraphQL execution: authentication, uploads
        unavailable = as_unavailable(error)
        if unavailable is None:
            raise
        logger.warning("database unavailable: %s", error)
        return _unavailable(unavailable, media)
    return _result(result, media, context.request_id)


async def _idempotent(
    request: Request,
    hub: Hub,
    schema: strawberry.Schema,
    params: GraphQLParams,
    raw_key: str,
    media: str,
    register: bool,
) -> Response:
    """Run a request sent with an Idempotency-Key once per key and caller; a retry gets the
    first answer as it was sent."""
    key = idempotency.checked_key(raw_key)
    secrets = documents.secret_fields(schema._schema)
    tokens = hub.settings.max_tokens
    secret = documents.selected_secret(params.query, params.operation_name, secrets, tokens)
    if secret is not None:
        raise BadInput(
            f"{secret} answers a secret, which ChannelHub does not keep to replay: send it "
            "without an Idempotency-Key",
            field="Idempotency-Key",
        )
    context = await _context(request, hub, params)
    principal = context.principal
    if principal is None:
        raise RequestError(401, "an Idempotency-Key needs a logged-in caller", _CHALLENGE)
    user, sent = principal.user_id, idempotency.fingerprint_of(params, principal.scopes)
    first = await idempotency.begin(hub, user_id=user, key=key, fingerprint=sent)
    if first is not None:
        headers = {"idempotent-replayed": "true"}
        return Response(first.body, first.status, headers=headers, media_type=first.media_type)
    try:
        async with hub.sharing_reads():
            result, context = await _execute(
                request, hub, schema, params, context=context, register=register
            )
        response = _result(result, media, context.request_id)
    except BaseException:
        await idempotency.forget(hub, user_id=user, key=key)
        raise
    if response.status_code == 503:  # the database was out of reach: a retry should run
        await idempotency.forget(hub, user_id=user, key=key)
        return response
    media_type = response.headers.get("content-type", media)
    answer = idempotency.Answer(response.status_code, bytes(response.body), media_type)
    await idempotency.finish(hub, user_id=user, key=key, answer=answer)
    return response


async def _execute(
    request: Request,
    hub: Hub,
    schema: strawberry.Schema,
    params: GraphQLParams,
    *,
    share_reads: bool = True,
    context: Context | None = None,
    register: bool = False,
) -> tuple[ExecutionResult, Context]:
    context = context or await _context(request, hub, params)
    context.share_reads = share_reads
    result = await schema.execute(
        params.query,
        variable_values=params.variables,
        context_value=context,
        operation_name=params.operation_name,
        allowed_operation_types=QUERIES_ONLY if request.method == "GET" else QUERIES_AND_MUTATIONS,
    )
    record_of(request.scope).operation = context.operation_name
    if register and not _is_request_error(result):  # only documents that validated are kept
        await _register(hub, params, context)
    return result, context


class PersistedQueryError(Exception):
    """A persisted document that cannot be run: unknown, off the allow-list, or unsupported.

    The messages are the protocol's: Apollo's clients match PersistedQueryNotFound and
    PersistedQueryNotSupported by message to send the document again, or stop hashing."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


NOT_IN_LIST = persisted_queries.NOT_IN_LIST


async def _persisted(hub: Hub, params: GraphQLParams) -> tuple[GraphQLParams, bool]:
    """The request with its document (a persisted one looked up by hash or id), and whether
    to register the document it sent with its hash once it validated."""
    mode, wanted = hub.settings.persisted_queries, params.persisted
    if wanted is None:
        if mode == "allow-list" and not await persisted_queries.listed(hub, params.query):
            raise PersistedQueryError("PERSISTED_QUERY_NOT_IN_LIST", NOT_IN_LIST, 400)
        return params, False
    if mode == "off":
        raise PersistedQueryError("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported")
    if params.query:
        if wanted.sha256 is None:
            raise RequestError(400, "send a documentId or a query, not both")
        if persisted_queries.sha256_of(params.query) != wanted.sha256:
            raise RequestError(400, "provided sha does not match query")
        if mode == "allow-list" and not await persisted_queries.listed(hub, params.query):
            raise PersistedQueryError("PERSISTED_QUERY_NOT_IN_LIST", NOT_IN_LIST, 400)
        return params, mode == "automatic"
    found = await persisted_queries.find(hub, sha256=wanted.sha256, document_id=wanted.document_id)
    if found is None or (mode == "allow-list" and not found.listed):
        raise PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
    return dataclasses.replace(params, query=found.document), False


async def _register(hub: Hub, params: GraphQLParams, context: Context) -> None:
    principal = context.principal
    user_id = principal.user_id if principal is not None else None
    client = persisted_queries.caller_key(user_id, context.client)
    try:
        await persisted_queries.register(
            hub, params.query, client=client, operation_name=context.operation_name
        )
    except Exception:  # the answer is there: a client that is not remembered sends it again
        logger.warning("could not keep a persisted query", exc_info=True)


def _persisted_error(error: PersistedQueryError, media: str) -> Response:
    body = {"errors": [{"message": error.message, "extensions": {"code": error.code}}]}
    headers = {"cache-control": "private, no-cache, must-revalidate"}
    return _json(body, error.status, media, headers)


def _wants_ide(request: Request, hub: Hub) -> bool:
    accept = request.headers.get("accept", "")
    return (
        request.method == "GET"
        and hub.settings.development
        and "text/html" in accept
        and "query" not in request.query_params
    )


async def _read_params(request: Request, limit: int) -> GraphQLParams:
    if request.method == "GET":
        return params_from_query_string(dict(request.query_params))
    check_json_content_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdecimal() and int(declared) > limit:
        raise RequestError(413, f"the request body exceeds the limit of {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise RequestError(413, f"the request body exceeds the limit of {limit} bytes")
    return params_from_body(bytes(body))


async def _context(request: Request, hub: Hub, params: GraphQLParams) -> Context:
    record = record_of(request.scope)
    client = request.client.host if request.client else None
    context = Context(hub=hub, client=client, request_id=record.id)
    header = (request.headers.get("authorization") or "").strip()
    if not header:  # an empty header (what auth links send while logged out) is no header
        return context
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(
            401, "send the access token as Authorization: Bearer <token>", _CHALLENGE
        )
    try:
        principal = await identity.authenticate(hub, token.strip())
    except Unavailable:
        raise
    except HubError as error:
        # A stale token does not stand in the way of logging in again (or applying).
        if not needs_login(params.query, params.operation_name, hub.settings.max_anonymous_tokens):
            return context
        raise RequestError(401, error.message, _CHALLENGE) from None
    context.authenticated(principal, token.strip())
    record.user_id, record.organization_id = principal.user_id, principal.organization_id
    return context


_CHALLENGE = {"www-authenticate": 'Bearer error="invalid_token"'}


def _operation_not_allowed(error: InvalidOperationTypeError, method: str, media: str) -> Response:
    reason = error.as_http_error_reason(method)
    if error.operation_type is OperationType.SUBSCRIPTION:
        return _request_error(RequestError(400, f"{reason}; subscribe over the WebSocket"), media)
    return _request_error(RequestError(405, reason, {"allow": "POST"}), media)


def _result(result: ExecutionResult, media: str, request_id: str) -> Response:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    status = 200
    if _is_request_error(result):
        status = 400 if media == GRAPHQL_RESPONSE else 200
        if media != GRAPHQL_RESPONSE and not isinstance(result, PreExecutionError):
            body["data"] = None  # what application/json clients have always been sent
    else:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    headers = {"x-request-id": request_id}
    errors = body.get("errors", ())
    retry_after = _retry_after(errors, Unavailable.code)
    if retry_after is not None:  # the database is out of reach: the client should retry
        status = 503
    else:  # the answer stays 200: other fields of the request may have run
        retry_after = _retry_after(errors, RateLimited.code)
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return _json(body, status, media, headers)


def _is_request_error(result: ExecutionResult) -> bool:
    """Refused before any field ran: parsing, validation, or variables that do not coerce.

    Variable coercion fails inside execution, so it comes back as a plain result with no data
    and errors that name no field path; the GraphQL-over-HTTP spec makes it a 400 all the same.
    """
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def _retry_after(errors: Any, code: str) -> int | None:
    """The longest wait the errors of one code ask for, in seconds."""
    waits = [
        int(error["extensions"].get("retryAfter") or 0)
        for error in errors
        if (error.get("extensions") or {}).get("code") == code
    ]
    return max(waits) if waits else None


def _unavailable(error: Unavailable, media: str) -> Response:
    body = {"errors": [hub_error(error)]}
    return _json(body, 503, media, {"retry-after": str(error.retry_after)})


def _request_error(error: RequestError, media: str = GRAPHQL_RESPONSE) -> Response:
    code = "UNAUTHENTICATED" if error.status == 401 else "BAD_USER_INPUT"
    body = {"errors": [{"message": error.message, "extensions": {"code": code}}]}
    return _json(body, error.status, media, error.headers)


def _json(body: dict[str, Any], status: int, media: str, headers: dict[str, str]) -> Response:
    try:
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a message quotes an unpaired surrogate the client sent
        content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status, headers=headers, media_type=f"{media}; charset=utf-8")
