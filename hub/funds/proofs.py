"""Proofs of performance of a claim: stored as uploaded (typed from their bytes, never from
the client's word), attached in order, and read only through a claim the caller may see.

A proof comes with the claim (a multipart request) or ahead of it, straight to storage: the
partner asks for a signed URL (`start_upload`), PUTs the file there, and names the upload and
its SHA-256 in the claim. The claim checks the file (there, of the declared size and digest,
of a kept type) and uses the upload in the transaction that attaches it, so an upload is
attached once and a claim that fails leaves it open for the next try.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub import files
from hub.db import distinct, grouped_by
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.funds import rules
from hub.roles import Principal
from hub.runtime import Hub
from storage.models.funds import FundClaim, FundClaimProof, FundProofUpload

Files = Sequence[tuple[str, AsyncIterator[bytes]]]


@dataclass(frozen=True)
class Uploaded:
    """A proof sent straight to storage, named in a claim with the digest of its bytes."""

    upload_id: str
    sha256: str


def count(proofs: Files, uploads: Sequence[Uploaded] = (), *, already: int = 0) -> None:
    """Refuse more than MAX_PROOFS files on one claim."""
    if already + len(proofs) + len(uploads) > rules.MAX_PROOFS:
        raise BadInput(f"a claim keeps at most {rules.MAX_PROOFS} proofs", field="proofs")


async def start_upload(
    hub: Hub, *, principal: Principal, file_name: str, size: int
) -> files.UploadTicket:
    """A signed URL a partner PUTs a proof to within the hour, to claim with it after."""
    if not principal.is_partner or principal.organization_id is None:
        raise Forbidden("partners upload proofs of their own activities")
    name = files.file_name_of(file_name, field="fileName")
    files.checked_size(hub, size)
    key, url, headers = await files.upload_url(hub, FundProofUpload.file_prefix)
    now = hub.clock.now()
    async with hub.write() as session:
        upload = FundProofUpload(
            partner_id=principal.organization_id,
            object_key=key,
            file_name=name,
            declared_size=size,
            created_by_id=principal.user_id,
            created_at=now,
            expires_at=now + files.UPLOAD_TTL,
        )
        session.add(upload)
    return files.UploadTicket(upload.id, url, headers, upload.expires_at)


async def verify(
    hub: Hub, principal: Principal, uploads: Sequence[Uploaded]
) -> list[files.StoredFile]:
    """The files of the caller's organization's open uploads, each checked against its
    declared size, the digest given and the kept types. A file that does not check out is
    removed with its upload (it is sent again); nothing is used yet."""
    fields = [f"uploads.{n}" for n in range(len(uploads))]
    digests = [
        files.checked_sha256(one.sha256, field=f"{field}.sha256")
        for one, field in zip(uploads, fields, strict=True)
    ]
    ids = [one.upload_id for one in uploads]
    for n, upload_id in enumerate(ids):
        if upload_id in ids[:n]:
            raise BadInput("this upload is named twice", field=f"{fields[n]}.uploadId")
    now = hub.clock.now()
    async with hub.read() as session:
        found = {
            row.id: row
            for row in await session.scalars(
                select(FundProofUpload).where(
                    FundProofUpload.id.in_(distinct(ids)),
                    FundProofUpload.partner_id == principal.organization_id,
                    FundProofUpload.used_at.is_(None),
                    FundProofUpload.expires_at > now,
                )
            )
        }
    stored = []
    for upload_id, digest, field in zip(ids, digests, fields, strict=True):
        upload = found.get(upload_id)
        if upload is None:
            raise NotFound(
                "no open proof upload with this id (used, expired or not yours?)",
                field=f"{field}.uploadId",
            )
        try:
            stored.append(
                await files.verify_upload(
                    hub,
                    upload.object_key,
                    file_name=upload.file_name,
                    declared_size=upload.declared_size,
                    sha256=digest,
                    types=rules.PROOF_TYPES,
                    upload_field=f"{field}.uploadId",
                    size_field=f"{field}.uploadId",
                    sha_field=f"{field}.sha256",
                    type_field=f"{field}.uploadId",
                )
            )
        except BadInput as error:
            if error.field != f"{field}.uploadId" or "nothing was uploaded" not in error.message:
                await _discard(hub, upload)
            raise
    return stored


async def use(
    session: AsyncSession, principal: Principal, uploads: Sequence[Uploaded], now: datetime
) -> None:
    """Mark checked uploads used in the transaction that attaches their files; an upload
    another claim used meanwhile is a CONFLICT, and the transaction rolls back."""
    for n, one in enumerate(uploads):
        used = await session.execute(
            update(FundProofUpload)
            .where(
                FundProofUpload.id == one.upload_id,
                FundProofUpload.partner_id == principal.organization_id,
                FundProofUpload.used_at.is_(None),
            )
            .values(used_at=now)
        )
        if getattr(used, "rowcount", 0) != 1:
            raise Conflict(
                "this upload was attached to a claim meanwhile", field=f"uploads.{n}.uploadId"
            )


async def _discard(hub: Hub, upload: FundProofUpload) -> None:
    async with hub.write() as session:
        await session.execute(
            update(FundProofUpload)
            .where(FundProofUpload.id == upload.id, FundProofUpload.used_at.is_(None))
            .values(expires_at=hub.clock.now())
        )
    await files.forget(hub, [upload.object_key])


async def store(hub: Hub, proofs: Files) -> list[files.StoredFile]:
    """Stream the files to the object store; if one is refused, forget those stored before it."""
    stored: list[files.StoredFile] = []
    try:
        for index, (name, chunks) in enumerate(proofs):
            stored.append(
                await files.store(
                    hub,
                    name,
                    chunks,
                    prefix=FundClaimProof.file_prefix,
                    field=f"proofs[{index}]",
                    types=rules.PROOF_TYPES,
                )
            )
    except BaseException:
        await files.forget(hub, [one.key for one in stored])
        raise
    return stored


def attach(
    session: AsyncSession,
    claim_id: str,
    stored: Sequence[files.StoredFile],
    now: datetime,
    *,
    first: int,
) -> None:
    """Attach stored files to a claim, numbered from `first`."""
    for position, one in enumerate(stored, start=first):
        session.add(
            FundClaimProof(claim_id=claim_id, position=position, uploaded_at=now, **one.columns())
        )


async def of_claims(session: AsyncSession, claim_ids: Sequence[str]) -> list[FundClaimProof]:
    statement = (
        select(FundClaimProof)
        .where(FundClaimProof.claim_id.in_(distinct(claim_ids)))
        .order_by(FundClaimProof.claim_id, FundClaimProof.position)
    )
    return list(await session.scalars(statement))


async def by_claims(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[list[FundClaimProof]]:
    """Each visible claim's proofs in order; a claim the caller may not see has none."""
    async with hub.read() as session:
        visible = list(
            await session.scalars(
                select(FundClaim.id).where(
                    FundClaim.id.in_(distinct(ids)), rules.claim_visible(principal)
                )
            )
        )
        found = await of_claims(session, visible) if visible else []
    return grouped_by(found, ids, lambda proof: proof.claim_id)


async def download_url(hub: Hub, *, principal: Principal, proof_id: str, expires_in: int) -> str:
    """A short-lived URL of a proof of a claim the caller may see."""
    async with hub.read() as session:
        proof = await session.scalar(
            select(FundClaimProof)
            .join(FundClaim, FundClaim.id == FundClaimProof.claim_id)
            .where(FundClaimProof.id == proof_id, rules.claim_visible(principal))
        )
    if proof is None or proof.object_key is None:
        raise NotFound("no such proof", field="id")
    return await files.download_url(
        hub,
        proof.object_key,
        file_name=proof.file_name or "proof",
        content_type=proof.content_type,
        expires_in=expires_in,
    )
