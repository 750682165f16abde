"""Claims: once an approved activity took place, its partner claims the money back with proof
of performance; vendor staff approve (all or part), reject, or ask for more; an approved claim
is payable until the ERP marks it paid.

What a claim does not take of its request's reservation goes back to the allocation when the
claim is decided, under the allocation's row lock: approving for less releases the rest,
rejecting releases all of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import files, validation
from hub.db import distinct
from hub.errors import BadInput, Conflict, Forbidden, NotFound
from hub.funds import proofs as proof_store
from hub.funds import rules
from hub.funds.requests import locked_allocation
from hub.funds.rules import ClaimStatus, FundEventType, FundRequestStatus
from hub.pagination import Page, PageRequest, keyset_page
from hub.roles import Principal, require_vendor_staff
from hub.runtime import Hub
from storage.models.funds import FundBudget, FundClaim, FundRequest


async def submit(
    hub: Hub,
    *,
    principal: Principal,
    request_id: str,
    amount_minor: int,
    currency: str,
    note: str = "",
    proofs: proof_store.Files = (),
    uploads: Sequence[proof_store.Uploaded] = (),
) -> FundClaim:
    """Claim an approved request's money once its activity has ended, with proof: files sent
    with the claim, then those uploaded ahead of it, in order."""
    if not principal.is_partner:
        raise Forbidden("partners claim funds for their own activities")
    amount, code = rules.money(amount_minor, currency, field="amount", least=1)
    text = validation.text(note, field="note", max_length=5000, required=False)
    if not proofs and not uploads:
        raise BadInput(
            "a claim needs proof of performance: attach at least one file", field="proofs"
        )
    proof_store.count(proofs, uploads)
    checked = await proof_store.verify(hub, principal, uploads)
    stored = await proof_store.store(hub, proofs)
    try:
        async with hub.write() as session:
            request = await session.scalar(
                select(FundRequest)
                .where(FundRequest.id == request_id, rules.request_visible(principal))
                .with_for_update()
            )
            if request is None:
                raise NotFound("no such fund request", field="requestId")
            if request.partner_id != principal.organization_id:
                raise Forbidden("only the requesting partner claims its funds")
            await _claimable(hub, session, request, amount, code)
            now = hub.clock.now()
            claim = FundClaim(
                request_id=request.id,
                allocation_id=request.allocation_id,
                budget_id=request.budget_id,
                partner_id=request.partner_id,
                claimed_minor=amount,
                currency=code,
                status=ClaimStatus.SUBMITTED,
                note=text,
                submitted_by_id=principal.user_id,
                created_at=now,
                updated_at=now,
                version=1,
            )
            session.add(claim)
            await session.flush()
            await proof_store.use(session, principal, uploads, now)
            proof_store.attach(session, claim.id, [*stored, *checked], now, first=0)
            await _emit(hub, session, FundEventType.CLAIM_SUBMITTED, claim)
    except IntegrityError:
        await files.forget(hub, [one.key for one in stored])
        raise Conflict("this request already has a claim", field="requestId") from None
    except BaseException:
        await files.forget(hub, [one.key for one in stored])
        raise
    return claim


async def _claimable(
    hub: Hub, session: AsyncSession, request: FundRequest, amount: int, code: str
) -> None:
    if request.status != FundRequestStatus.APPROVED:
        raise Conflict(
            f"only an APPROVED request is claimed; this one is {request.status}", field="requestId"
        )
    if await session.scalar(select(FundClaim.id).where(FundClaim.request_id == request.id)):
        raise Conflict("this request already has a claim", field="requestId")
    rules.same_currency(code, request.currency, field="amount.currency")
    approved = request.approved_minor or 0
    if amount > approved:
        raise BadInput(
            f"claim at most the {approved} minor units approved", field="amount.amountMinor"
        )
    window = await session.scalar(
        select(FundBudget.claim_window_days).where(FundBudget.id == request.budget_id)
    )
    assert window is not None, "a request's budget exists: the foreign key holds it"
    today, ended = hub.clock.now().date(), request.activity_ends_on
    if today < ended:
        raise Conflict(
            f"claim once the activity has ended, on {ended.isoformat()}", field="requestId"
        )
    closes = ended + timedelta(days=window)
    if today > closes:
        raise Conflict(
            f"the claim window closed on {closes.isoformat()}, "
            f"{window} days after the activity ended",
            field="requestId",
        )


async def resubmit(
    hub: Hub,
    *,
    principal: Principal,
    claim_id: str,
    note: str | None = None,
    proofs: proof_store.Files = (),
    uploads: Sequence[proof_store.Uploaded] = (),
) -> FundClaim:
    """Answer a request for more: add proof and a note, and submit the claim again."""
    text = validation.optional_text(note, field="note", max_length=5000)
    proof_store.count(proofs, uploads)
    checked = await proof_store.verify(hub, principal, uploads)
    stored = await proof_store.store(hub, proofs)
    try:
        async with hub.write() as session:
            claim = await _locked(session, principal, claim_id)
            if principal.organization_id != claim.partner_id:
                raise Forbidden("only the claiming partner answers for its claim")
            if claim.status != ClaimStatus.INFO_REQUESTED:
                raise Conflict(
                    f"this claim is {claim.status}; only one asked for more is resubmitted",
                    field="id",
                )
            count = len(await proof_store.of_claims(session, [claim.id]))
            proof_store.count(proofs, uploads, already=count)
            now = hub.clock.now()
            await proof_store.use(session, principal, uploads, now)
            proof_store.attach(session, claim.id, [*stored, *checked], now, first=count)
            if text is not None:
                claim.note = text
            _moved(hub, claim, ClaimStatus.SUBMITTED)
            await _emit(hub, session, FundEventType.CLAIM_SUBMITTED, claim)
    except BaseException:
        await files.forget(hub, [one.key for one in stored])
        raise
    return claim


async def ask_for_more(hub: Hub, *, principal: Principal, claim_id: str, reason: str) -> FundClaim:
    """Send a submitted claim back to its partner, saying what is missing (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.text(reason, field="reason", max_length=2000)
    async with hub.write() as session:
        claim = await _submitted(session, principal, claim_id, None)
        claim.decision_note = text
        _moved(hub, claim, ClaimStatus.INFO_REQUESTED)
        await _emit(hub, session, FundEventType.CLAIM_INFO_REQUESTED, claim)
    return claim


async def approve(
    hub: Hub,
    *,
    principal: Principal,
    claim_id: str,
    amount_minor: int | None = None,
    currency: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> FundClaim:
    """Approve a submitted claim for what it claims or less; it becomes payable (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.optional_text(note, field="note", max_length=2000)
    async with hub.write() as session:
        claim = await _submitted(session, principal, claim_id, expected_version)
        amount = claim.claimed_minor
        if amount_minor is not None:
            amount, code = rules.money(amount_minor, currency or claim.currency, field="amount")
            rules.same_currency(code, claim.currency, field="amount.currency")
        if amount > claim.claimed_minor:
            raise BadInput(
                f"approve at most the {claim.claimed_minor} minor units claimed",
                field="amount.amountMinor",
            )
        await _release(hub, session, claim, keep=amount)
        claim.approved_minor = amount
        claim.decision_note = text
        _decided(hub, principal, claim, ClaimStatus.APPROVED)
        await _emit(hub, session, FundEventType.CLAIM_APPROVED, claim)
    return claim


async def reject(hub: Hub, *, principal: Principal, claim_id: str, reason: str) -> FundClaim:
    """Reject a submitted claim with a reason; its reservation goes back (vendor staff)."""
    require_vendor_staff(principal)
    text = validation.text(reason, field="reason", max_length=2000)
    async with hub.write() as session:
        claim = await _submitted(session, principal, claim_id, None)
        await _release(hub, session, claim, keep=0)
        claim.decision_note = text
        _decided(hub, principal, claim, ClaimStatus.REJECTED)
        await _emit(hub, session, FundEventType.CLAIM_REJECTED, claim)
    return claim


async def mark_paid(hub: Hub, *, principal: Principal, claim_id: str, reference: str) -> FundClaim:
    """Record that an approved claim was paid, with the ERP's reference (vendor-side accounts)."""
    if not principal.is_vendor:
        raise Forbidden("only vendor-side accounts record payments")
    text = validation.text(reference, field="reference", max_length=100)
    async with hub.write() as session:
        claim = await _locked(session, principal, claim_id)
        if claim.status != ClaimStatus.APPROVED:
            raise Conflict(
                f"only an APPROVED claim is paid; this one is {claim.status}", field="id"
            )
        claim.payment_reference = text
        claim.paid_at = hub.clock.now()
        _moved(hub, claim, ClaimStatus.PAID)
        await _emit(hub, session, FundEventType.CLAIM_PAID, claim)
    return claim


async def _locked(session: AsyncSession, principal: Principal, claim_id: str) -> FundClaim:
    claim = await session.scalar(
        select(FundClaim)
        .where(FundClaim.id == claim_id, rules.claim_visible(principal))
        .with_for_update()
    )
    if claim is None:
        raise NotFound("no such fund claim", field="id")
    return claim


async def _submitted(
    session: AsyncSession, principal: Principal, claim_id: str, expected_version: int | None
) -> FundClaim:
    claim = await _locked(session, principal, claim_id)
    if expected_version is not None and claim.version != expected_version:
        raise Conflict(
            f"the claim changed (version {claim.version}); reload it and decide again",
            field="expectedVersion",
        )
    if claim.status != ClaimStatus.SUBMITTED:
        raise Conflict(
            f"this claim is {claim.status}; only a SUBMITTED claim is decided", field="id"
        )
    return claim


async def _release(hub: Hub, session: AsyncSession, claim: FundClaim, *, keep: int) -> None:
    """Give back to the allocation what of the request's reservation the claim does not keep."""
    approved = await session.scalar(
        select(FundRequest.approved_minor).where(FundRequest.id == claim.request_id)
    )
    allocation = await locked_allocation(session, claim.allocation_id)
    allocation.reserved_minor -= (approved or 0) - keep
    allocation.updated_at = hub.clock.now()


def _moved(hub: Hub, claim: FundClaim, status: ClaimStatus) -> None:
    claim.status = status
    claim.updated_at = hub.clock.now()
    claim.version += 1


def _decided(hub: Hub, principal: Principal, claim: FundClaim, status: ClaimStatus) -> None:
    claim.decided_by_id = principal.user_id
    claim.decided_at = hub.clock.now()
    _moved(hub, claim, status)


async def _emit(hub: Hub, session: AsyncSession, type: FundEventType, claim: FundClaim) -> None:
    await rules.emit(
        hub,
        session,
        type,
        subject_id=claim.id,
        partner_id=claim.partner_id,
        payload={
            "claimId": claim.id,
            "requestId": claim.request_id,
            "allocationId": claim.allocation_id,
            "status": claim.status,
            "amountMinor": claim.approved_minor
            if claim.approved_minor is not None
            else claim.claimed_minor,
        },
    )


async def get(hub: Hub, *, principal: Principal, claim_id: str) -> FundClaim:
    async with hub.read() as session:
        claim = await session.scalar(
            select(FundClaim).where(FundClaim.id == claim_id, rules.claim_visible(principal))
        )
    if claim is None:
        raise NotFound("no such fund claim", field="id")
    return claim


async def list_claims(
    hub: Hub,
    *,
    principal: Principal,
    statuses: Sequence[ClaimStatus],
    partner_id: str | None,
    page: PageRequest,
) -> Page[FundClaim]:
    """Claims the caller may see, newest first."""
    statement = select(FundClaim).where(rules.claim_visible(principal))
    if statuses:
        statement = statement.where(
            FundClaim.status.in_(distinct(status.value for status in statuses))
        )
    if partner_id is not None:
        statement = statement.where(FundClaim.partner_id == partner_id)
    async with hub.read() as session:
        return await keyset_page(
            session, statement, page, key=(FundClaim.created_at, FundClaim.id), descending=True
        )


async def by_requests(
    hub: Hub, *, principal: Principal, ids: Sequence[str]
) -> list[FundClaim | None]:
    """Each request's claim, if it has one the caller may see."""
    visible = rules.claim_visible(principal)
    return await rules.by_key(hub, FundClaim, FundClaim.request_id, visible, ids)


async def by_ids(hub: Hub, *, principal: Principal, ids: Sequence[str]) -> list[FundClaim | None]:
    return await rules.by_key(hub, FundClaim, FundClaim.id, rules.claim_visible(principal), ids)
