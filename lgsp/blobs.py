"""The blob store: large packages kept once, outside the broker, addressed by their digest.

A package above ``LGSP_BLOB_THRESHOLD_BYTES`` travels through RabbitMQ as a small reference
(``sha256:<hex>``) instead of its bytes; whoever delivers it reads it back from here. Content
addressing makes a store idempotent (the same package twice is one file) and lets a reader check
what it got. ``DirectoryBlobStore`` keeps files in a folder; object storage implements the same
``BlobStore`` protocol.

Not for: small messages (they stay in the broker and the journal) or retention policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol

from lgsp.errors import ConfigurationError, LGSPError

__all__ = ["BlobMissing", "BlobStore", "BlobTooLarge", "DirectoryBlobStore", "blob_ref"]

_HEX = frozenset("0123456789abcdef")


class BlobMissing(LGSPError):
    """No blob under that reference, or one whose content no longer matches it."""


class BlobTooLarge(LGSPError):
    """A stream went past the size it was allowed; nothing was stored."""


def blob_ref(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Store ``data`` durably; returns its reference. Storing it again is harmless."""

    async def get(self, ref: str) -> bytes:
        """The bytes under ``ref``; raises ``BlobMissing``."""

    async def put_stream(self, chunks: AsyncIterator[bytes], *, limit: int) -> tuple[str, int]:
        """Store what ``chunks`` yields without holding it whole; returns its reference and size.

        Raises ``BlobTooLarge`` (storing nothing) past ``limit`` bytes.
        """

    def open(self, ref: str) -> BinaryIO:
        """The blob as a readable, seekable binary file; the caller closes it."""


def _sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def _place(tmp: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


class DirectoryBlobStore:
    """Blobs as files ``<root>/<2 hex>/<64 hex>``, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, ref: str) -> Path:
        algorithm, _, digest = ref.partition(":")
        if algorithm != "sha256" or len(digest) != 64 or not set(digest) <= _HEX:
            raise BlobMissing(f"not a blob reference: {ref!r}")
        return self._root / digest[:2] / digest

    async def put(self, data: bytes) -> str:
        ref = await asyncio.to_thread(blob_ref, data)
        await asyncio.to_thread(self._write, self._path(ref), data)
        return ref

    async def get(self, ref: str) -> bytes:
        path = self._path(ref)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise BlobMissing(f"no blob {ref}") from exc
        if await asyncio.to_thread(blob_ref, data) != ref:
            raise BlobMissing(f"blob {ref} is damaged")
        return data

    async def put_stream(self, chunks: AsyncIterator[bytes], *, limit: int) -> tuple[str, int]:
        fd, tmp = await asyncio.to_thread(self._incoming)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise BlobTooLarge(f"more than {limit} bytes")
                    digest.update(chunk)
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_sync, out)
            ref = "sha256:" + digest.hexdigest()
            await asyncio.to_thread(_place, tmp, self._path(ref))
        except BaseException:
            _discard(tmp)
            raise
        return ref, size

    def _incoming(self) -> tuple[int, str]:
        self._root.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(dir=self._root, prefix=".incoming-")

    def open(self, ref: str) -> BinaryIO:
        try:
            return self._path(ref).open("rb")
        except FileNotFoundError as exc:
            raise BlobMissing(f"no blob {ref}") from exc

    def _write(self, path: Path, data: bytes) -> None:
        if path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except PermissionError as exc:
            raise ConfigurationError(f"cannot write blobs under {self._root}: {exc}") from exc
