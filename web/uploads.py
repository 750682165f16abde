"""GraphQL multipart requests (the GraphQL multipart request spec), with the CSRF guard.

Parts are parsed by python-multipart through Starlette; file parts are spooled to disk past
1 MiB, so memory does not grow with file size. Files are then mapped into the variables.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from web.negotiation import GraphQLParams, RequestError, params_from_operations

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
SLACK_BYTES = 1024 * 1024


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def check_csrf(request: Request) -> None:
    """Refuse a multipart request a browser could send cross-site without a preflight."""
    if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        raise RequestError(
            400,
            "multipart requests need a non-empty Apollo-Require-Preflight or "
            "X-Apollo-Operation-Name header (CSRF protection)",
        )


async def read_multipart(
    request: Request, *, max_upload_bytes: int, max_field_bytes: int
) -> tuple[GraphQLParams, FormData]:
    """Parse operations, map and files; return the parameters with files in the variables."""
    check_csrf(request)
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > max_upload_bytes + SLACK_BYTES
    ):
        raise RequestError(413, f"the upload exceeds the limit of {max_upload_bytes} bytes")
    try:
        form = await request.form(max_files=20, max_fields=50, max_part_size=max_field_bytes)
    except Exception as error:  # python-multipart's and Starlette's parse errors
        raise RequestError(400, f"the multipart body could not be read: {error}") from None
    try:
        operations = _json_field(form, "operations")
        mapping = _json_field(form, "map")
        if not isinstance(operations, dict):
            raise RequestError(400, "operations must be a JSON object (batching is not supported)")
        if not isinstance(mapping, dict):
            raise RequestError(
                400, "map must be a JSON object of file part names to variable paths"
            )
        for part, paths in mapping.items():
            upload = form.get(part)
            if not isinstance(upload, UploadFile):
                raise RequestError(
                    400, f"map names the part {part!r}, which is not a file in the request"
                )
            if not isinstance(paths, list) or not paths:
                raise RequestError(400, f"map entry {part!r} must be a non-empty list of paths")
            for path in paths:
                _place(operations, path, upload)
        return params_from_operations(operations), form
    except BaseException:
        await form.close()
        raise


def _json_field(form: FormData, name: str) -> Any:
    value = form.get(name)
    if not isinstance(value, str):
        raise RequestError(400, f"the multipart request needs an {name} field")
    try:
        return json.loads(value)
    except ValueError:
        raise RequestError(400, f"the {name} field is not valid JSON") from None


def _place(operations: dict[str, Any], path: object, upload: UploadFile) -> None:
    """Put a file where the path says, which must be a null inside the variables."""
    if not isinstance(path, str) or not path.startswith("variables."):
        raise RequestError(400, f"map paths must point into variables, got {path!r}")
    steps = path.split(".")
    target: Any = operations
    for step in steps[:-1]:
        target = _step(target, step, path)
    last = steps[-1]
    if (
        isinstance(target, list)
        and last.isdigit()
        and int(last) < len(target)
        and target[int(last)] is None
    ):
        target[int(last)] = upload
    elif isinstance(target, dict) and last in target and target[last] is None:
        target[last] = upload
    else:
        raise RequestError(400, f"map path {path!r} does not point at a null in the variables")


def _step(target: Any, step: str, path: str) -> Any:
    if isinstance(target, dict) and step in target:
        return target[step]
    if isinstance(target, list) and step.isdigit() and int(step) < len(target):
        return target[int(step)]
    raise RequestError(400, f"map path {path!r} does not exist in the operations")
