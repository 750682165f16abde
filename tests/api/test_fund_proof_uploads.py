"""Proofs of performance sent straight to storage ahead of the claim, over the API: a signed
PUT (presigned on SeaweedFS S3 with PostgreSQL, the hub's signed route on the filesystem store
with the embedded SQLite), then named with its SHA-256 in submitFundClaim or
resubmitFundClaim, checked from the stored bytes and attached once.

Alpha's request for a 2026-04-01..03 roadshow is approved for 4,000.00 (test_fund_claims).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from hub.clock import ManualClock
from hub.files import collect_garbage
from tests.api.test_direct_uploads import fetch, put
from tests.api.test_fund_claims import (
    ASK,
    CLAIM_FIELDS,
    EXE,
    PDF,
    PNG,
    after_the_activity,
    approved,  # noqa: F401 (the fixture)
)
from tests.api.test_funds import APPROVE, SUBMIT, funds, money  # noqa: F401 (the fixture)
from tests.api.test_funds import request_input as request_of
from tests.api.test_races import Call, calls, twin  # noqa: F401 (the fixtures)
from tests.api.test_uploads import settings  # noqa: F401 (the fixture: a bucket of its own)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

START = """mutation($name: String!, $size: Float!) {
  createFundClaimProofUpload(fileName: $name, size: $size) {
    uploadId url headers { name value } expiresAt } }"""
CLAIM_AHEAD = f"""mutation($request: ID!, $amount: MoneyInput!, $uploads: [FundClaimProofUploadInput!]) {{
  submitFundClaim(requestId: $request, amount: $amount, uploads: $uploads) {{
    {CLAIM_FIELDS} proofs {{ downloadUrl }} }} }}"""
RESUBMIT_AHEAD = f"""mutation($id: ID!, $uploads: [FundClaimProofUploadInput!]) {{
  resubmitFundClaim(id: $id, uploads: $uploads) {{ {CLAIM_FIELDS} }} }}"""
CLAIM_OF = """query($id: ID!) { fundRequest(id: $id) { claim { id } } }"""


async def ticket(factory: Factory, actor: Actor, name: str, size: int) -> dict[str, Any]:
    answer = await factory.gql(START, {"name": name, "size": size}, actor=actor)
    found: dict[str, Any] = data_of(answer)["createFundClaimProofUpload"]
    return found


async def ahead(
    factory: Factory, actor: Actor, name: str, body: bytes, *, size: int | None = None
) -> dict[str, str]:
    """Upload a file ahead of the claim; the claim's `uploads` entry naming it."""
    given = await ticket(factory, actor, name, len(body) if size is None else size)
    assert (await put(factory, given, body)).status_code == 200
    return {"uploadId": given["uploadId"], "sha256": hashlib.sha256(body).hexdigest()}


async def claim_keys(factory: Factory) -> set[str]:
    return {key async for key, _ in factory.hub.objects.list_keys("claims")}


async def second_request(given: dict[str, Any]) -> str:
    """Another approved request of Alpha's (500.00), for a second claim."""
    factory = given["factory"]
    asked = await factory.gql(
        SUBMIT,
        {"input": request_of(given["allocations"]["Alpha"], 500_00, title="Mailing")},
        actor=given["alpha"],
    )
    request: str = data_of(asked)["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request}, actor=given["vendor"]))
    return request


async def test_proofs_sent_ahead_are_checked_attached_once_and_downloaded(
    approved: dict[str, Any],  # noqa: F811 (the fixture)
    clock: ManualClock,
) -> None:
    factory, request = approved["factory"], approved["request"]
    other = await second_request(approved)
    alpha = after_the_activity(approved, clock, days=1)
    invoice = await ahead(factory, alpha, "C:\\scans\\..\\invoice.pdf", PDF)
    photo = await ahead(factory, alpha, "../../booth.png", PNG)

    claimed = data_of(
        await factory.gql(
            CLAIM_AHEAD,
            {"request": request, "amount": money(3_500_00), "uploads": [invoice, photo]},
            actor=alpha,
        )
    )["submitFundClaim"]
    reused = await factory.gql(
        CLAIM_AHEAD,
        {"request": other, "amount": money(100_00), "uploads": [invoice]},
        actor=alpha,
    )
    asked = await factory.gql(
        ASK, {"id": claimed["id"], "reason": "add attendees"}, actor=approved["vendor"]
    )
    attendees = await ahead(factory, alpha, "attendees.csv", b"name,company\nAda,Acme\n")
    resubmitted = data_of(
        await factory.gql(
            RESUBMIT_AHEAD, {"id": claimed["id"], "uploads": [attendees]}, actor=alpha
        )
    )["resubmitFundClaim"]
    downloaded = [await fetch(factory, proof["downloadUrl"]) for proof in claimed["proofs"]]

    assert claimed["status"] == "SUBMITTED"
    assert [
        (p["fileName"], p["contentType"], p["size"], p["sha256"]) for p in claimed["proofs"]
    ] == [
        ("invoice.pdf", "application/pdf", len(PDF), invoice["sha256"]),
        ("booth.png", "image/png", len(PNG), photo["sha256"]),
    ]
    assert downloaded == [PDF, PNG]
    assert errors_of(reused) == [("NOT_FOUND", "uploads.0.uploadId")]
    assert data_of(asked)["requestFundClaimInfo"]["status"] == "INFO_REQUESTED"
    assert resubmitted["status"] == "SUBMITTED"
    assert [(p["fileName"], p["contentType"]) for p in resubmitted["proofs"]] == [
        ("invoice.pdf", "application/pdf"),
        ("booth.png", "image/png"),
        ("attendees.csv", "text/plain"),
    ]
    assert data_of(await factory.gql(CLAIM_OF, {"id": other}, actor=alpha)) == {
        "fundRequest": {"claim": None}
    }
    assert len(await claim_keys(factory)) == 3


async def test_bad_uploads_name_their_field_and_leave_nothing_half_written(
    approved: dict[str, Any],  # noqa: F811 (the fixture)
    clock: ManualClock,
) -> None:
    factory, request = approved["factory"], approved["request"]
    alpha = after_the_activity(approved, clock, days=1)
    beta, vendor = approved["beta"], approved["vendor"]
    limit = factory.hub.settings.max_upload_bytes
    starts = {
        "vendor": await factory.gql(START, {"name": "a.pdf", "size": 10}, actor=vendor),
        "empty": await factory.gql(START, {"name": "a.pdf", "size": 0}, actor=alpha),
        "half a byte": await factory.gql(START, {"name": "a.pdf", "size": 1.5}, actor=alpha),
        "over the limit": await factory.gql(
            START, {"name": "a.pdf", "size": limit + 1}, actor=alpha
        ),
        "no name": await factory.gql(START, {"name": "../", "size": 10}, actor=alpha),
    }
    betas = await ahead(factory, beta, "invoice.pdf", PDF)
    wrong_sha = await ahead(factory, alpha, "invoice.pdf", PDF)
    wrong_sha["sha256"] = "0" * 64
    wrong_size = await ahead(factory, alpha, "invoice.pdf", PDF, size=len(PDF) + 1)
    disguised = await ahead(factory, alpha, "invoice.pdf", EXE)
    never_sent = await ticket(factory, alpha, "invoice.pdf", len(PDF))
    pending = {"uploadId": never_sent["uploadId"], "sha256": hashlib.sha256(PDF).hexdigest()}
    good = await ahead(factory, alpha, "invoice.pdf", PDF)
    eleven = [good] + [await ahead(factory, alpha, f"p{n}.pdf", PDF) for n in range(10)]
    kept_before = await claim_keys(factory)

    def claim(uploads: list[dict[str, str]], amount: int = 1_000_00) -> Any:
        variables = {"request": request, "amount": money(amount), "uploads": uploads}
        return factory.gql(CLAIM_AHEAD, variables, actor=alpha)

    claims = {
        "unknown": await claim([{"uploadId": "0" * 32, "sha256": good["sha256"]}]),
        "another partner's": await claim([betas]),
        "not a digest": await claim([{**good, "sha256": "abc"}]),
        "twice": await claim([good, good]),
        "eleven": await claim(eleven),
        "never sent": await claim([good, pending]),
        "too much": await claim([good], amount=4_000_01),
        "wrong sha": await claim([good, wrong_sha]),
        "wrong size": await claim([wrong_size]),
        "disguised": await claim([disguised]),
        "wrong sha again": await claim([wrong_sha]),
    }
    kept_after = await claim_keys(factory)
    nothing_claimed = data_of(await factory.gql(CLAIM_OF, {"id": request}, actor=alpha))
    # Refusals before and after checking leave the good upload, and the one not yet sent, open.
    assert (await put(factory, never_sent, PDF)).status_code == 200
    finally_claimed = data_of(await claim([good, pending]))["submitFundClaim"]

    assert {name: errors_of(answer) for name, answer in starts.items()} == {
        "vendor": [("FORBIDDEN", None)],
        "empty": [("BAD_USER_INPUT", "size")],
        "half a byte": [("BAD_USER_INPUT", "size")],
        "over the limit": [("BAD_USER_INPUT", "size")],
        "no name": [("BAD_USER_INPUT", "fileName")],
    }
    assert {name: errors_of(answer) for name, answer in claims.items()} == {
        "unknown": [("NOT_FOUND", "uploads.0.uploadId")],
        "another partner's": [("NOT_FOUND", "uploads.0.uploadId")],
        "not a digest": [("BAD_USER_INPUT", "uploads.0.sha256")],
        "twice": [("BAD_USER_INPUT", "uploads.1.uploadId")],
        "eleven": [("BAD_USER_INPUT", "proofs")],
        "never sent": [("BAD_USER_INPUT", "uploads.1.uploadId")],
        "too much": [("BAD_USER_INPUT", "amount.amountMinor")],
        "wrong sha": [("BAD_USER_INPUT", "uploads.1.sha256")],
        "wrong size": [("BAD_USER_INPUT", "uploads.0.uploadId")],
        "disguised": [("BAD_USER_INPUT", "uploads.0.uploadId")],
        "wrong sha again": [("NOT_FOUND", "uploads.0.uploadId")],
    }
    # The same words for an upload of another partner's as for none at all.
    assert (
        claims["another partner's"]["errors"][0]["message"]
        == (claims["unknown"]["errors"][0]["message"])
    )
    assert "bytes, not the" in claims["wrong size"]["errors"][0]["message"]
    # The files that did not check out are gone; every other upload's file stays.
    assert kept_after < kept_before and len(kept_before - kept_after) == 3
    assert nothing_claimed == {"fundRequest": {"claim": None}}
    assert [p["fileName"] for p in finally_claimed["proofs"]] == ["invoice.pdf", "invoice.pdf"]


async def test_an_upload_expires_within_the_hour_and_is_collected_once_abandoned(
    approved: dict[str, Any],  # noqa: F811 (the fixture)
    clock: ManualClock,
) -> None:
    factory, request = approved["factory"], approved["request"]
    other = await second_request(approved)
    alpha = after_the_activity(approved, clock, days=1)
    used = await ahead(factory, alpha, "invoice.pdf", PDF)
    abandoned = await ahead(factory, alpha, "draft.pdf", PDF)
    variables = {"request": request, "amount": money(1_00), "uploads": [used]}
    data_of(await factory.gql(CLAIM_AHEAD, variables, actor=alpha))
    clock.advance(hours=1, seconds=1)
    alpha = factory.fresh(alpha)
    expired = await factory.gql(
        CLAIM_AHEAD, {"request": other, "amount": money(1_00), "uploads": [abandoned]}, actor=alpha
    )
    before = await claim_keys(factory)
    young = await collect_garbage(factory.hub, grace=timedelta(hours=24))
    clock.advance(days=3650)  # past the files' real modification times too
    collected = await collect_garbage(factory.hub, grace=timedelta(hours=24))
    after = await claim_keys(factory)

    assert errors_of(expired) == [("NOT_FOUND", "uploads.0.uploadId")]
    assert young.total == 0
    # The abandoned file and both upload records go; the used file is its proof's.
    assert (collected.objects, collected.records) == (1, 2)
    assert len(before) == 2 and after < before and len(after) == 1


async def test_one_upload_named_by_two_claims_at_once_is_attached_once(
    approved: dict[str, Any],  # noqa: F811 (the fixture)
    calls: list[Call],  # noqa: F811 (the fixture)
    clock: ManualClock,
) -> None:
    factory, request = approved["factory"], approved["request"]
    other = await second_request(approved)
    alpha = after_the_activity(approved, clock, days=1)
    shared = await ahead(factory, alpha, "invoice.pdf", PDF)

    answers = await asyncio.gather(
        *(
            calls[n % 2](
                CLAIM_AHEAD,
                {"request": target, "amount": money(100_00), "uploads": [shared]},
                alpha,
            )
            for n, target in enumerate([request, other] * 2)
        )
    )
    claimed = [
        data_of(await factory.gql(CLAIM_OF, {"id": target}, actor=alpha))["fundRequest"]["claim"]
        for target in (request, other)
    ]

    outcomes = sorted(
        "OK" if "errors" not in answer else answer["errors"][0]["extensions"]["code"]
        for answer in answers
    )
    assert outcomes[-1] == "OK" and outcomes.count("OK") == 1, answers
    refused = [answer["errors"][0] for answer in answers if "errors" in answer]
    # Losers find the upload used (CONFLICT mid-way, NOT_FOUND once it was) or the request
    # claimed already: never a second attachment.
    assert all(
        (error["extensions"]["code"], error["extensions"].get("field"))
        in {
            ("CONFLICT", "uploads.0.uploadId"),
            ("NOT_FOUND", "uploads.0.uploadId"),
            ("CONFLICT", "requestId"),
        }
        for error in refused
    ), refused
    assert sum(claim is not None for claim in claimed) == 1
