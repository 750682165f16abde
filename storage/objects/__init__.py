"""Object store: an S3-compatible bucket through boto3, or a local folder with signed URLs."""

from storage.objects.base import (
    DEFAULT_CONTENT_TYPE,
    DEFAULT_MULTIPART_THRESHOLD,
    MIN_PART_SIZE,
    READ_CHUNK_SIZE,
    InvalidObjectKey,
    MiB,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    ObjectTooLarge,
    StoredObject,
    content_disposition,
    new_object_key,
    validate_key,
)
from storage.objects.filesystem import FilesystemObjectStore
from storage.objects.s3 import PARTS_IN_FLIGHT, S3ObjectStore, logger

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "DEFAULT_MULTIPART_THRESHOLD",
    "MIN_PART_SIZE",
    "PARTS_IN_FLIGHT",
    "READ_CHUNK_SIZE",
    "FilesystemObjectStore",
    "InvalidObjectKey",
    "MiB",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectTooLarge",
    "S3ObjectStore",
    "StoredObject",
    "content_disposition",
    "logger",
    "new_object_key",
    "validate_key",
]
