"""Signed file routes of the filesystem object store (the embedded default)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from storage.objects import (
    FilesystemObjectStore,
    ObjectNotFound,
    ObjectTooLarge,
    content_disposition,
)


async def download(request: Request) -> Response:
    """Stream an object to whoever holds a valid signed GET URL."""
    store, key = _store(request), request.path_params["key"]
    filename = request.query_params.get("fn", "")
    if not isinstance(store, FilesystemObjectStore) or not _signed(request, store, "GET", filename):
        return _refused()
    stored = await store.head(key)
    if stored is None:
        return JSONResponse({"error": "no such file"}, status_code=404)
    try:
        stream = await store.open(key)
    except ObjectNotFound:
        return JSONResponse({"error": "no such file"}, status_code=404)
    headers = {
        "content-length": str(stored.size),
        "content-disposition": content_disposition(filename or key.rsplit("/", 1)[-1]),
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
    }
    return StreamingResponse(stream, media_type=stored.content_type, headers=headers)


async def upload(request: Request) -> Response:
    """Store the body of a PUT made with a valid signed upload URL."""
    store, key = _store(request), request.path_params["key"]
    if not isinstance(store, FilesystemObjectStore) or not _signed(request, store, "PUT", ""):
        return _refused()
    limit = request.app.state.hub.settings.max_upload_bytes
    content_type = request.headers.get("content-type", "application/octet-stream")
    try:
        stored = await store.put(key, request.stream(), content_type=content_type, max_bytes=limit)
    except ObjectTooLarge:
        return JSONResponse(
            {"error": f"the file exceeds the limit of {limit} bytes"}, status_code=413
        )
    return JSONResponse({"key": stored.key, "size": stored.size, "sha256": stored.sha256})


def _store(request: Request) -> object:
    return request.app.state.objects


def _signed(request: Request, store: FilesystemObjectStore, method: str, filename: str) -> bool:
    params = request.query_params
    return store.verify_signature(
        request.path_params["key"],
        method,
        params.get("exp", ""),
        filename,
        params.get("sig", ""),
        request.app.state.hub.clock.now(),
    )


def _refused() -> Response:
    return JSONResponse({"error": "this link is not valid or has expired"}, status_code=403)
