"""Proofs of performance of a claim: stored as uploaded (typed from their bytes, never from
the client's word), attached in order, and read only through a claim the caller may see."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import files
from hub.db import distinct, grouped_by
from hub.errors import BadInput, NotFound
from hub.funds import rules
from hub.roles import Principal
from hub.runtime import Hub
from storage.models.funds import FundClaim, FundClaimProof

Files = Sequence[tuple[str, AsyncIterator[bytes]]]


def count(proofs: Files, *, already: int = 0) -> None:
    """Refuse more than MAX_PROOFS files on one claim."""
    if already + len(proofs) > rules.MAX_PROOFS:
        raise BadInput(f"a claim keeps at most {rules.MAX_PROOFS} proofs", field="proofs")


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
