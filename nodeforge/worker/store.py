"""JetStream plumbing both sides share: connecting, the job stream, the blob store
(object store, content-addressed) and the results bucket (key-value). Creating any of
them is idempotent, so the editor's server and the workers may start in any order."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import nats
from nats.js import api
from nats.js.errors import BadRequestError, BucketNotFoundError, NotFoundError, ObjectNotFoundError

from .protocol import (
    BLOB_TTL_SECONDS,
    BLOBS,
    INLINE_MAX,
    JOB_SUBJECT,
    RESULT_TTL_SECONDS,
    RESULTS,
    STREAM,
    BlobRef,
    JobError,
    sha256,
    verify,
)

log = logging.getLogger(__name__)
CONNECT_DEADLINE = 10.0


@dataclass
class Stores:
    nc: Any  # nats.aio.client.Client
    js: Any  # nats.js.JetStreamContext
    blobs: Any  # nats.js.object_store.ObjectStore
    results: Any  # nats.js.kv.KeyValue

    async def put_blob(self, data: bytes) -> BlobRef:
        """``data`` by its sha256: inline when small, else in the object store (written
        once: an archive or binary already there is not sent again)."""
        digest = sha256(data)
        if len(data) <= INLINE_MAX:
            return BlobRef(digest, len(data), data)
        try:
            await self.blobs.get_info(digest)
        except ObjectNotFoundError:
            await self.blobs.put(digest, data)
        return BlobRef(digest, len(data))

    async def get_blob(self, ref: BlobRef) -> bytes:
        if ref.inline is not None:
            return ref.inline
        try:
            found = await self.blobs.get(ref.sha256)
        except ObjectNotFoundError:
            raise JobError(f"blob {ref.sha256} is not in the store (expired?)") from None
        return verify(bytes(found.data), ref.sha256)

    async def close(self) -> None:
        await self.nc.drain()


async def connect(url: str, name: str) -> Stores:
    """Connect to ``url`` and make sure the stream and buckets exist."""

    async def error(exc: Exception) -> None:  # one line per reconnection problem
        log.warning("NATS (%s): %s", name, exc)

    try:
        # Reconnects forever once connected; the first connection gets a deadline.
        nc = await asyncio.wait_for(
            nats.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
                allow_reconnect=True,
                error_cb=error,
            ),
            CONNECT_DEADLINE,
        )
    except TimeoutError:
        raise JobError(f"cannot reach NATS at {url} (for {CONNECT_DEADLINE:g} s)") from None
    except Exception as exc:
        raise JobError(f"cannot reach NATS at {url}: {exc}") from None
    js = nc.jetstream()
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        try:
            await js.add_stream(
                name=STREAM,
                subjects=[f"{JOB_SUBJECT}.>"],
                retention=api.RetentionPolicy.WORK_QUEUE,
                storage=api.StorageType.FILE,
                duplicate_window=120.0,
            )
        except BadRequestError:
            await js.stream_info(STREAM)  # created meanwhile by another process
    blobs = await _bucket(js.object_store, js.create_object_store, BLOBS, BLOB_TTL_SECONDS)
    results = await _kv(js, RESULTS, RESULT_TTL_SECONDS)
    return Stores(nc, js, blobs, results)


async def _bucket(get: Any, create: Any, name: str, ttl: float) -> Any:
    try:
        return await get(name)
    except BucketNotFoundError:
        try:
            return await create(name, config=api.ObjectStoreConfig(ttl=ttl))
        except BadRequestError:
            return await get(name)


async def _kv(js: Any, name: str, ttl: float) -> Any:
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        try:
            return await js.create_key_value(bucket=name, ttl=ttl, history=1)
        except BadRequestError:
            return await js.key_value(name)
