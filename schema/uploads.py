"""The Upload scalar: files of GraphQL multipart requests, as the transport hands them over.

The transport streams each file while the operation runs, so a resolver waits for the file's
part with ``ready`` and reads its bytes with ``chunks`` as they arrive.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, NewType

import strawberry
from graphql import GraphQLError

from hub.errors import BadInput


class UploadFailed(Exception):
    """The file did not arrive whole: missing part, too large, broken body, disconnect."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadedFile(ABC):
    """One file part of a multipart request."""

    @property
    @abstractmethod
    def filename(self) -> str:
        """The client's file name, as sent (unchecked); empty when none was given."""

    @abstractmethod
    async def ready(self) -> None:
        """Wait until the part's headers have arrived; raise UploadFailed if it never does."""

    @abstractmethod
    def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes from the start, as they arrive; raise UploadFailed if cut short."""


Upload = NewType("Upload", object)


def _parse_upload(value: object) -> object:
    # A GraphQLError marks this as the client's input error.
    if not isinstance(value, UploadedFile):
        raise GraphQLError(
            "Upload must be a file part of a multipart request (GraphQL multipart request spec)"
        )
    return value


UPLOAD_SCALAR: dict[object, Any] = {
    Upload: strawberry.scalar(
        name="Upload",
        description="A file sent as a part of a GraphQL multipart request.",
        serialize=lambda value: None,
        parse_value=_parse_upload,
    )
}


async def file_of(value: object, *, field: str = "file") -> UploadedFile:
    """The file behind an Upload argument once its part has begun to arrive."""
    assert isinstance(value, UploadedFile), "the Upload scalar only lets files through"
    try:
        await value.ready()
    except UploadFailed as failed:
        raise BadInput(failed.message, field=field) from None
    return value


async def bytes_of(upload: UploadedFile, *, field: str = "file") -> AsyncIterator[bytes]:
    """The file's bytes; a file that does not arrive whole is the caller's bad input."""
    try:
        async for chunk in upload.chunks():
            yield chunk
    except UploadFailed as failed:
        raise BadInput(failed.message, field=field) from None


def whole_bytes(size: float, *, field: str) -> int:
    """A size in bytes (a Float in the schema, as files outgrow Int): whole, or BAD_USER_INPUT."""
    if not float(size).is_integer():
        raise BadInput("size is a whole number of bytes", field=field)
    return int(size)
