"""GraphQL types of fund claims: what a partner claims back for an approved request, with
its proofs of performance."""

from __future__ import annotations

from datetime import datetime

import strawberry

from hub.files import UploadTicket
from hub.funds import claims as claim_service
from hub.funds import proofs as proof_service
from hub.funds.rules import ClaimStatus
from schema.arguments import ExpiresInSeconds
from schema.assets import HttpHeader
from schema.context import Info
from schema.enums import described_enum
from schema.funds import FundBudget, FundRequest, FundsLoaders, budget_of
from schema.loading import LoaderSet, loader
from schema.nodes import Node
from schema.partners import Partner, partner_of
from schema.scalars import MinorUnits, Money
from storage.models.funds import FundClaim as ClaimModel
from storage.models.funds import FundClaimProof as ProofModel

described_enum(
    ClaimStatus,
    name="FundClaimStatus",
    description="SUBMITTED until vendor staff APPROVE it (payable), REJECT it, or ask for more "
    "(INFO_REQUESTED: the partner resubmits); PAID once the ERP paid it.",
    values={
        "SUBMITTED": "Waiting for vendor staff.",
        "INFO_REQUESTED": "Vendor staff asked for more; the partner resubmits.",
        "APPROVED": "Approved and payable.",
        "REJECTED": "Turned down; the request's reservation is released.",
        "PAID": "Paid by the ERP.",
    },
)


class ClaimLoaders(LoaderSet):
    """Claims by id and by request, and each claim's proofs, as the caller may see them."""

    claim_by_id = loader[str, ClaimModel | None](
        lambda hub, principal, ids: claim_service.by_ids(hub, principal=principal, ids=ids)
    )
    claim_by_request = loader[str, ClaimModel | None](
        lambda hub, principal, ids: claim_service.by_requests(hub, principal=principal, ids=ids)
    )
    proofs_by_claim = loader[str, list[ProofModel]](
        lambda hub, principal, ids: proof_service.by_claims(hub, principal=principal, ids=ids)
    )


@strawberry.type(description="A file proving a claimed activity took place.")
class FundClaimProof:
    id: strawberry.ID = strawberry.field(description="The proof's id.")
    file_name: str = strawberry.field(description="The file's name as uploaded.")
    size: int = strawberry.field(description="The file's size in bytes.")
    content_type: str = strawberry.field(description="As read from the file's bytes.")
    sha256: str = strawberry.field(description="The SHA-256 digest of the file, lowercase hex.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded (RFC 3339, UTC).")

    @classmethod
    def from_model(cls, model: ProofModel) -> FundClaimProof:
        return cls(
            id=strawberry.ID(model.id),
            file_name=model.file_name or "proof",
            size=model.size or 0,
            content_type=model.content_type or "application/octet-stream",
            sha256=model.sha256 or "",
            uploaded_at=model.uploaded_at,
        )

    @strawberry.field(description="A short-lived URL of the file (10 s to 7 days).")
    async def download_url(
        self,
        info: Info,
        expires_in_seconds: ExpiresInSeconds = 300,
    ) -> str:
        return await proof_service.download_url(
            info.context.hub,
            principal=info.context.require_principal(),
            proof_id=str(self.id),
            expires_in=expires_in_seconds,
        )


def _money(amount: int, currency: str) -> Money:
    return Money(amount_minor=MinorUnits(amount), currency=currency)


@strawberry.type(description="What a partner claims back for an approved fund request.")
class FundClaim(Node):
    id: strawberry.ID = strawberry.field(description="The claim's id.")
    claimed: Money = strawberry.field(
        description="What the partner claims, in the request's currency."
    )
    approved: Money | None = strawberry.field(description="Null until approved.")
    status: ClaimStatus = strawberry.field(description="Where the claim is in review and payment.")
    note: str = strawberry.field(description="The partner's account of the activity.")
    decision_note: str | None = strawberry.field(
        description="What is missing, why it was rejected, or the approver's note."
    )
    payment_reference: str | None = strawberry.field(description="The ERP's, once PAID.")
    submitted_at: datetime = strawberry.field(
        description="When it was (last) submitted (RFC 3339, UTC)."
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was approved or rejected (RFC 3339, UTC)."
    )
    paid_at: datetime | None = strawberry.field(
        description="When it was marked paid (RFC 3339, UTC)."
    )
    version: int = strawberry.field(description="1, and one more on every change.")
    request_id: strawberry.ID = strawberry.field(description="The fund request claimed for.")
    budget_id: strawberry.Private[str]
    partner_id: strawberry.Private[str]

    @classmethod
    def from_model(cls, model: ClaimModel) -> FundClaim:
        approved = model.approved_minor
        return cls(
            id=strawberry.ID(model.id),
            claimed=_money(model.claimed_minor, model.currency),
            approved=None if approved is None else _money(approved, model.currency),
            status=ClaimStatus(model.status),
            note=model.note,
            decision_note=model.decision_note,
            payment_reference=model.payment_reference,
            submitted_at=model.created_at,
            decided_at=model.decided_at,
            paid_at=model.paid_at,
            version=model.version,
            request_id=strawberry.ID(model.request_id),
            budget_id=model.budget_id,
            partner_id=model.partner_id,
        )

    @classmethod
    def maybe(cls, model: ClaimModel | None) -> FundClaim | None:
        return None if model is None else cls.from_model(model)

    @strawberry.field(description="The proofs of performance, in upload order.")
    async def proofs(self, info: Info) -> list[FundClaimProof]:
        rows = await ClaimLoaders.of(info).proofs_by_claim.load(str(self.id))
        return [FundClaimProof.from_model(row) for row in rows]

    @strawberry.field(description="The fund request claimed for.")
    async def request(self, info: Info) -> FundRequest:
        model = await FundsLoaders.of(info).request_by_id.load(str(self.request_id))
        if model is None:
            raise RuntimeError(f"fund request {self.request_id} is gone or not visible")
        return FundRequest.from_model(model)

    @strawberry.field(description="The claiming partner.")
    async def partner(self, info: Info) -> Partner:
        return await partner_of(info, self.partner_id)

    @strawberry.field(description="The budget the money comes from.")
    async def budget(self, info: Info) -> FundBudget:
        return await budget_of(info, self.budget_id)


@strawberry.input(description="Which claims to list; the conditions given must all hold.")
class FundClaimFilter:
    statuses: list[ClaimStatus] = strawberry.field(
        default_factory=list, description="Only claims with one of these statuses; all when empty."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this partner's claims."
    )


@strawberry.type(
    description="Where to PUT a proof within the hour; then name uploadId in submitFundClaim."
)
class FundClaimProofUploadTicket:
    upload_id: strawberry.ID = strawberry.field(
        description="The id to name the upload by in submitFundClaim or resubmitFundClaim."
    )
    url: str = strawberry.field(description="Where to PUT the file's bytes.")
    headers: list[HttpHeader] = strawberry.field(
        description="Headers to send with the PUT, exactly as given."
    )
    expires_at: datetime = strawberry.field(
        description="When the URL stops accepting the file (RFC 3339, UTC)."
    )

    @classmethod
    def of(cls, ticket: UploadTicket) -> FundClaimProofUploadTicket:
        return cls(
            upload_id=strawberry.ID(ticket.upload_id),
            url=ticket.url,
            headers=[HttpHeader(name=name, value=value) for name, value in ticket.headers.items()],
            expires_at=ticket.expires_at,
        )


@strawberry.input(description="A proof PUT straight to storage ahead of the claim.")
class FundClaimProofUploadInput:
    upload_id: strawberry.ID = strawberry.field(
        description="The uploadId of the ticket the file was PUT with."
    )
    sha256: str = strawberry.field(description="The file's SHA-256, in 64 hex digits.")

    def to_hub(self) -> proof_service.Uploaded:
        return proof_service.Uploaded(upload_id=str(self.upload_id), sha256=self.sha256)
