"""Root fields of fund claims: claiming an approved request's money with proof, and the
vendor's decisions and payment."""

from __future__ import annotations

from typing import Annotated

import strawberry

from hub.funds import claims
from hub.funds import proofs as proof_service
from schema.arguments import After, ApproverNote, ExpectedVersion, First, Id
from schema.context import Info
from schema.fund_claims import (
    FundClaim,
    FundClaimFilter,
    FundClaimProofUploadInput,
    FundClaimProofUploadTicket,
)
from schema.relay import Connection, page_request
from schema.scalars import MoneyInput
from schema.uploads import Upload, bytes_of, file_of, whole_bytes


@strawberry.type
class FundClaimsQuery:
    @strawberry.field(
        description="Claims, newest first: vendor-side accounts all, a partner its channel's."
    )
    async def fund_claims(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            FundClaimFilter | None,
            strawberry.argument(
                description="Which claims to list; all the caller may see when left out."
            ),
        ] = None,
    ) -> Connection[FundClaim]:
        wanted = filter or FundClaimFilter()
        page = await claims.list_claims(
            info.context.hub,
            principal=info.context.require_principal(),
            statuses=wanted.statuses,
            partner_id=wanted.partner_id,
            page=page_request(info, first, after),
        )
        return Connection[FundClaim].of(page, FundClaim.from_model)

    @strawberry.field(description="One fund claim the caller may see.")
    async def fund_claim(self, info: Info, id: Id) -> FundClaim:
        model = await claims.get(
            info.context.hub, principal=info.context.require_principal(), claim_id=id
        )
        return FundClaim.from_model(model)


async def _files(uploads: list[Upload] | None) -> proof_service.Files:
    found = [
        await file_of(upload, field=f"proofs[{index}]")
        for index, upload in enumerate(uploads or [])
    ]
    return [
        (upload.filename, bytes_of(upload, field=f"proofs[{index}]"))
        for index, upload in enumerate(found)
    ]


@strawberry.type
class FundClaimsMutation:
    @strawberry.mutation(
        description="Claim an APPROVED request's money, at most what was approved, from the "
        "day its activity ends until its budget's claim window closes, with 1-10 proofs of "
        "performance (PDF, PNG, JPEG, WebP, text, XLSX or DOCX, typed from their bytes): sent "
        "as a GraphQL multipart request (proofs), uploaded ahead (uploads), or both "
        "(the requesting partner)."
    )
    async def submit_fund_claim(
        self,
        info: Info,
        request_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The APPROVED fund request whose money is claimed."),
        ],
        amount: Annotated[
            MoneyInput,
            strawberry.argument(
                description="What is claimed, in the request's currency; at most what was approved."
            ),
        ],
        proofs: Annotated[
            list[Upload] | None,
            strawberry.argument(description="Proof files sent as parts of the multipart request."),
        ] = None,
        note: Annotated[
            str, strawberry.argument(description="The partner's account of the activity.")
        ] = "",
        uploads: Annotated[
            list[FundClaimProofUploadInput] | None,
            strawberry.argument(
                description="Proofs uploaded ahead with createFundClaimProofUpload."
            ),
        ] = None,
    ) -> FundClaim:
        model = await claims.submit(
            info.context.hub,
            principal=info.context.require_principal(),
            request_id=request_id,
            amount_minor=int(amount.amount_minor),
            currency=amount.currency,
            note=note,
            proofs=await _files(proofs),
            uploads=[one.to_hub() for one in uploads or []],
        )
        return FundClaim.from_model(model)

    @strawberry.mutation(
        description="Start a direct upload of a proof (a partner): PUT the file to `url` with "
        "`headers` within the hour, then name uploadId and the file's SHA-256 in "
        "submitFundClaim or resubmitFundClaim."
    )
    async def create_fund_claim_proof_upload(
        self,
        info: Info,
        file_name: Annotated[str, strawberry.argument(description="The proof file's name.")],
        size: Annotated[
            float,
            strawberry.argument(description="The proof file's size in bytes, a whole number."),
        ],
    ) -> FundClaimProofUploadTicket:
        ticket = await proof_service.start_upload(
            info.context.hub,
            principal=info.context.require_principal(),
            file_name=file_name,
            size=whole_bytes(size, field="size"),
        )
        return FundClaimProofUploadTicket.of(ticket)

    @strawberry.mutation(
        description="Answer a request for more: add proofs and a note and submit the claim "
        "again (the claiming partner)."
    )
    async def resubmit_fund_claim(
        self,
        info: Info,
        id: Id,
        note: Annotated[
            str | None,
            strawberry.argument(
                description="The answer to what was asked; the note stays when left out."
            ),
        ] = None,
        proofs: Annotated[
            list[Upload] | None,
            strawberry.argument(
                description="More proof files, sent as parts of the multipart request."
            ),
        ] = None,
        uploads: Annotated[
            list[FundClaimProofUploadInput] | None,
            strawberry.argument(
                description="More proofs uploaded ahead with createFundClaimProofUpload."
            ),
        ] = None,
    ) -> FundClaim:
        model = await claims.resubmit(
            info.context.hub,
            principal=info.context.require_principal(),
            claim_id=id,
            note=note,
            proofs=await _files(proofs),
            uploads=[one.to_hub() for one in uploads or []],
        )
        return FundClaim.from_model(model)

    @strawberry.mutation(
        description="Send a submitted claim back, saying what is missing (vendor staff)."
    )
    async def request_fund_claim_info(
        self,
        info: Info,
        id: Id,
        reason: Annotated[
            str, strawberry.argument(description="What is missing, shown to the partner.")
        ],
    ) -> FundClaim:
        model = await claims.ask_for_more(
            info.context.hub, principal=info.context.require_principal(), claim_id=id, reason=reason
        )
        return FundClaim.from_model(model)

    @strawberry.mutation(
        description="Approve a submitted claim for what it claims or less; it becomes "
        "payable, and what it does not take of the request's reservation goes back to the "
        "allocation (vendor staff)."
    )
    async def approve_fund_claim(
        self,
        info: Info,
        id: Id,
        amount: Annotated[
            MoneyInput | None,
            strawberry.argument(
                description="What is approved, in the claim's currency; what was "
                "claimed when left out."
            ),
        ] = None,
        note: ApproverNote = None,
        expected_version: ExpectedVersion = None,
    ) -> FundClaim:
        model = await claims.approve(
            info.context.hub,
            principal=info.context.require_principal(),
            claim_id=id,
            amount_minor=int(amount.amount_minor) if amount else None,
            currency=amount.currency if amount else None,
            note=note,
            expected_version=expected_version,
        )
        return FundClaim.from_model(model)

    @strawberry.mutation(
        description="Reject a submitted claim with a reason; the request's reservation goes "
        "back to the allocation (vendor staff)."
    )
    async def reject_fund_claim(
        self,
        info: Info,
        id: Id,
        reason: Annotated[str, strawberry.argument(description="Why, shown to the partner.")],
    ) -> FundClaim:
        model = await claims.reject(
            info.context.hub, principal=info.context.require_principal(), claim_id=id, reason=reason
        )
        return FundClaim.from_model(model)

    @strawberry.mutation(
        description="Record that an APPROVED claim was paid, with the ERP's reference "
        "(vendor staff and integration accounts)."
    )
    async def mark_fund_claim_paid(
        self,
        info: Info,
        id: Id,
        reference: Annotated[str, strawberry.argument(description="The ERP's payment reference.")],
    ) -> FundClaim:
        model = await claims.mark_paid(
            info.context.hub,
            principal=info.context.require_principal(),
            claim_id=id,
            reference=reference,
        )
        return FundClaim.from_model(model)
