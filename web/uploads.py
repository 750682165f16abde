"""GraphQL multipart requests (the GraphQL multipart request spec), streamed, with the CSRF guard.

The operations and map parts come first; once the first file part named in the map begins
the operation runs while the rest of the body arrives. Each file is spooled to an unlinked
temporary file and read back from there, so a resolver streams it to the object store at
network speed, in any order, and memory does not grow with size. A file is complete only
once the whole body is read and within the limits: a body refused later fails every file
(nothing made of them is kept) and the request answers with the refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from schema.uploads import UploadedFile, UploadFailed
from web.negotiation import GraphQLParams, RequestError, decode_json, params_from_operations

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
SLACK_BYTES = 1024 * 1024
MAX_FILES = 20
MAX_PARTS = MAX_FILES + 8
READ_SIZE = 1024 * 1024


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


@contextlib.asynccontextmanager
async def receive_multipart(
    request: Request, *, max_upload_bytes: int, max_field_bytes: int
) -> AsyncIterator[GraphQLParams]:
    """Yield the parameters, with files in the variables, while the files still arrive.

    On exit the rest of the body is read and thrown away (up to the limits), and the
    spooled files are closed.
    """
    check_csrf(request)
    declared = _declared_length(request)
    if declared is not None and declared > max_upload_bytes * MAX_FILES + SLACK_BYTES:
        raise RequestError(413, f"the upload exceeds the limit of {max_upload_bytes} bytes")
    receiver = _Receiver(
        _boundary(request), max_upload_bytes=max_upload_bytes, max_field_bytes=max_field_bytes
    )
    task = asyncio.create_task(receiver.run(request, declared))
    try:
        params = await receiver.wait_for_operations(task)
        yield params
    finally:
        await receiver.finish(task)
    receiver.raise_if_refused()


def _declared_length(request: Request) -> int | None:
    declared = request.headers.get("content-length")
    return int(declared) if declared is not None and declared.isdecimal() else None


def _boundary(request: Request) -> bytes:
    _, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if not boundary:
        raise RequestError(400, "the multipart content type needs a boundary")
    return boundary


class _SpooledFile(UploadedFile):
    """One file part, written to an unlinked temporary file as it arrives."""

    def __init__(self, part: str) -> None:
        self.part = part
        self._name = ""
        self._spool: Any = None
        self._size = 0
        self._started = False
        self._ended = False
        self._done = False
        self._discard = False
        self._failure: str | None = None
        self._changed = asyncio.Event()

    @property
    def filename(self) -> str:
        return self._name

    @property
    def started(self) -> bool:
        return self._started

    async def ready(self) -> None:
        while not self._started:
            self._fail_if_failed()
            await self._wait()

    async def chunks(self) -> AsyncIterator[bytes]:
        await self.ready()
        offset = 0
        while True:
            self._fail_if_failed()
            if offset < self._size:
                data = os.pread(self._spool.fileno(), min(READ_SIZE, self._size - offset), offset)
                offset += len(data)
                yield data
            elif self._done:
                return
            else:
                await self._wait()

    # The receiving side.

    def begin(self, filename: str) -> None:
        self._name = filename
        # Closed by close(), once the request is over.
        self._spool = tempfile.TemporaryFile(prefix="channelhub-upload-")  # noqa: SIM115
        self._started = True
        self._changed.set()

    def write(self, data: bytes, limit: int) -> None:
        if self._discard:
            return
        if self._size + len(data) > limit:
            self.fail(f"the file exceeds the limit of {limit} bytes")
            return
        self._spool.write(data)
        self._spool.flush()
        self._size += len(data)
        self._changed.set()

    def end(self) -> None:
        """The part is over; its bytes are not handed over whole until confirm()."""
        self._ended = True

    def confirm(self) -> None:
        """The whole body was read and accepted: the file is complete."""
        if not self._ended:
            self.fail("the file part was cut short")
        elif self._failure is None:
            self._done = True
            self._changed.set()

    def fail(self, message: str) -> None:
        if not self._done and self._failure is None:
            self._failure = message
            self._discard = True
            self._changed.set()

    def stop_spooling(self) -> None:
        """Nobody reads any more: drop incoming bytes."""
        self._discard = True

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    def _fail_if_failed(self) -> None:
        if self._failure is not None:
            raise UploadFailed(self._failure)

    async def _wait(self) -> None:
        self._changed.clear()
        await self._changed.wait()


class _Receiver:
    """Feeds the request body to python-multipart and routes each part where it belongs."""

    def __init__(self, boundary: bytes, *, max_upload_bytes: int, max_field_bytes: int) -> None:
        self._max_upload = max_upload_bytes
        self._max_field = max_field_bytes
        self._fields: dict[str, bytearray] = {}
        self._files: dict[str, _SpooledFile] = {}
        self._operations_ready: asyncio.Future[GraphQLParams] = (
            asyncio.get_running_loop().create_future()
        )
        self._params: GraphQLParams | None = None
        self._refusal: RequestError | None = None
        self._parts = 0
        self._received = 0
        self._limit: int | None = None
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._field: bytearray | None = None
        self._file: _SpooledFile | None = None
        self._skipping = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )

    async def run(self, request: Request, declared: int | None) -> None:
        """Read the whole body; every failure reaches the files and the operations future."""
        try:
            async for chunk in request.stream():
                self._received += len(chunk)
                if self._limit is not None and self._received > self._limit:
                    raise RequestError(
                        413, f"the upload exceeds the limit of {self._max_upload} bytes per file"
                    )
                self._parser.write(chunk)
            self._parser.finalize()
            self._end_of_body()
        except RequestError as error:
            self._refuse(error)
        except ClientDisconnect:
            self._refuse(RequestError(400, "the client disconnected before the body arrived"))
        except Exception as error:  # python-multipart's parse errors
            self._refuse(RequestError(400, f"the multipart body could not be read: {error}"))

    async def wait_for_operations(self, task: asyncio.Task[None]) -> GraphQLParams:
        waiting: list[asyncio.Future[Any]] = [self._operations_ready, task]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not self._operations_ready.done():
            self._refuse(RequestError(400, "the multipart body ended before its operations"))
        return self._operations_ready.result()

    async def finish(self, task: asyncio.Task[None]) -> None:
        """Drain what is left of the body without keeping it, then close the spools."""
        for upload in self._files.values():
            upload.stop_spooling()
        try:
            await task
        finally:
            for upload in self._files.values():
                upload.close()

    def raise_if_refused(self) -> None:
        """Answer with the refusal of a body found wrong after the operation started."""
        if self._refusal is not None:
            raise self._refusal

    # python-multipart callbacks (synchronous, inside parser.write).

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise RequestError(400, f"a multipart request may have at most {MAX_PARTS} parts")
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._field, self._file, self._skipping = None, None, False
        if name in ("operations", "map") and self._params is None:
            if name in self._fields:
                raise RequestError(400, f"the multipart request has two {name} fields")
            self._field = self._fields[name] = bytearray()
            return
        if self._params is None:
            self._params = self._parameters()
        upload = self._files.get(name)
        if upload is None or upload.started:
            self._skipping = True  # not in the map, or a repeated part: ignored
            return
        upload.begin(filename.decode("utf-8", "replace") if filename is not None else "")
        self._file = upload
        self._start()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end], self._max_upload)
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > self._max_field:
                raise RequestError(
                    413, f"the operations and map fields are limited to {self._max_field} bytes"
                )

    def _on_part_end(self) -> None:
        if self._file is not None:
            self._file.end()
        self._field, self._file = None, None

    # Parameters and failures.

    def _end_of_body(self) -> None:
        if self._params is None:
            self._params = self._parameters()
        for upload in self._files.values():
            if upload.started:
                upload.confirm()
            else:
                upload.fail(f"the file part {upload.part!r} named in map is not in the request")
        self._start()

    def _start(self) -> None:
        """Let the operation run: parts before its first file were counted already."""
        if self._params is not None and not self._operations_ready.done():
            self._operations_ready.set_result(self._params)

    def _parameters(self) -> GraphQLParams:
        """Parse operations and map, and put a file where each map path says."""
        operations = _json_field(self._fields, "operations")
        mapping = _json_field(self._fields, "map")
        if not isinstance(operations, dict):
            raise RequestError(400, "operations must be a JSON object (batching is not supported)")
        if not isinstance(mapping, dict):
            raise RequestError(
                400, "map must be a JSON object of file part names to variable paths"
            )
        if len(mapping) > MAX_FILES:
            raise RequestError(400, f"a multipart request may carry at most {MAX_FILES} files")
        for part, paths in mapping.items():
            if part in ("operations", "map"):
                raise RequestError(400, f"map cannot name the {part} field as a file")
            if not isinstance(paths, list) or not paths:
                raise RequestError(400, f"map entry {part!r} must be a non-empty list of paths")
            upload = self._files[part] = _SpooledFile(part)
            for path in paths:
                _place(operations, path, upload)
        self._limit = self._max_upload * len(mapping) + SLACK_BYTES
        if self._received > self._limit:
            raise RequestError(
                413, f"the upload exceeds the limit of {self._max_upload} bytes per file"
            )
        return params_from_operations(operations)

    def _refuse(self, error: RequestError) -> None:
        """Fail every file not yet complete; before the operation runs, it never will."""
        for upload in self._files.values():
            upload.fail(error.message)
        if self._operations_ready.done():
            self._refusal = error
        else:
            self._operations_ready.set_exception(error)


def _json_field(fields: dict[str, bytearray], name: str) -> Any:
    value = fields.get(name)
    if value is None:
        raise RequestError(400, f"the multipart request needs an {name} field before its files")
    return decode_json(bytes(value), f"the {name} field")


def _place(operations: dict[str, Any], path: object, upload: UploadedFile) -> None:
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
        and last.isdecimal()
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
    if isinstance(target, list) and step.isdecimal() and int(step) < len(target):
        return target[int(step)]
    raise RequestError(400, f"map path {path!r} does not exist in the operations")
