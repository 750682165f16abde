"""Fund claims over the API, their proofs in the real SeaweedFS S3: claimed once the activity
ended and before the claim window closes, asked for more, approved in part (the rest of the
reservation goes back), paid; refused when late, early, doubled, without proof or with a
disguised executable; never seen by another partner.

Alpha's allocation is 10,000.00 USD; its request for a 2026-04-01..03 roadshow is approved
for 4,000.00; the budget's claim window is 60 days, so claims close on 2026-06-02.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hub.clock import ManualClock
from hub.roles import Role
from hub.settings import Settings
from tests.api.test_funds import APPROVE, REQUEST, SUBMIT, WITHDRAW, funds, money  # noqa: F401
from tests.api.test_funds import request_input as request_of
from tests.api.test_uploads import bucket_contents, settings  # noqa: F401 (the fixture)
from tests.conftest import data_of
from tests.factories import Actor, Factory, errors_of

PDF = b"%PDF-1.7\n" + b"invoice 2026-117 " * 200
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 200
EXE = b"MZ\x90\x00" + b"\x00" * 300
CLAIM_FIELDS = """id status version claimed { amountMinor currency } approved { amountMinor }
  note decisionNote paymentReference partner { name }
  proofs { fileName contentType size sha256 }
  request { status claim { id } allocation { reserved { amountMinor } available { amountMinor } } }"""
SUBMIT_CLAIM = f"""mutation($request: ID!, $amount: MoneyInput!, $proofs: [Upload!]!, $note: String) {{
  submitFundClaim(requestId: $request, amount: $amount, proofs: $proofs, note: $note) {{
    {CLAIM_FIELDS} }} }}"""
RESUBMIT = f"""mutation($id: ID!, $proofs: [Upload!], $note: String) {{
  resubmitFundClaim(id: $id, proofs: $proofs, note: $note) {{ {CLAIM_FIELDS} }} }}"""
ASK = f"""mutation($id: ID!, $reason: String!) {{
  requestFundClaimInfo(id: $id, reason: $reason) {{ {CLAIM_FIELDS} }} }}"""
APPROVE_CLAIM = f"""mutation($id: ID!, $amount: MoneyInput, $v: Int) {{
  approveFundClaim(id: $id, amount: $amount, expectedVersion: $v) {{ {CLAIM_FIELDS} }} }}"""
REJECT_CLAIM = f"""mutation($id: ID!, $reason: String!) {{
  rejectFundClaim(id: $id, reason: $reason) {{ {CLAIM_FIELDS} }} }}"""
PAID = f"""mutation($id: ID!, $reference: String!) {{
  markFundClaimPaid(id: $id, reference: $reference) {{ {CLAIM_FIELDS} paidAt }} }}"""
CLAIM = f"""query($id: ID!) {{ fundClaim(id: $id) {{ {CLAIM_FIELDS} }} }}"""
CLAIMS = f"""query($filter: FundClaimFilter) {{ fundClaims(filter: $filter) {{ totalCount
  edges {{ node {{ {CLAIM_FIELDS} }} }} }} }}"""
PROOF_URLS = """query($id: ID!) { fundClaim(id: $id) { proofs { fileName downloadUrl } } }"""


async def upload(
    factory: Factory,
    actor: Actor,
    query: str,
    variables: dict[str, Any],
    files: list[tuple[str, bytes]],
) -> dict[str, Any]:
    """Send a GraphQL multipart request with `files` as `variables.proofs`."""
    operations = {"query": query, "variables": {**variables, "proofs": [None] * len(files)}}
    mapped = {str(index): [f"variables.proofs.{index}"] for index in range(len(files))}
    response = await factory.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapped)},
        files=[
            (str(index), (name, data, "application/pdf"))
            for index, (name, data) in enumerate(files)
        ],
        headers={"authorization": f"Bearer {actor.token}", "apollo-require-preflight": "1"},
    )
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def approved(funds: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 (the fixture)
    """Alpha's roadshow request, approved for 4,000.00 of the 5,000.00 it asked."""
    factory, vendor = funds["factory"], funds["vendor"]
    allocation = funds["allocations"]["Alpha"]
    asked = await factory.gql(
        SUBMIT, {"input": request_of(allocation, 5_000_00)}, actor=funds["alpha"]
    )
    request = data_of(asked)["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": request, "amount": money(4_000_00)}, actor=vendor))
    return {**funds, "request": request}


def after_the_activity(given: dict[str, Any], clock: ManualClock, days: float) -> Actor:
    """Move the clock `days` past the activity's last day; Alpha's user with a fresh token."""
    clock.advance(days=32 + days)  # from 2 March to 3 April, then `days` more
    factory: Factory = given["factory"]
    given["vendor"] = factory.fresh(given["vendor"])
    given["beta"] = factory.fresh(given["beta"])
    alpha: Actor = factory.fresh(given["alpha"])
    return alpha


@pytest.fixture
def any_factory(factory: Factory) -> Factory:
    """Claims keep their proofs in the S3 store: on PostgreSQL with SeaweedFS."""
    return factory


async def test_a_claim_is_asked_for_more_resubmitted_approved_in_part_and_paid(
    approved: dict[str, Any],
    clock: ManualClock,
    settings: Settings,  # noqa: F811 (the fixture)
) -> None:
    factory, request = approved["factory"], approved["request"]
    alpha = after_the_activity(approved, clock, days=1)
    vendor = approved["vendor"]
    submitted = await upload(
        factory,
        alpha,
        SUBMIT_CLAIM,
        {"request": request, "amount": money(3_800_00), "note": "120 attendees"},
        [("../../invoice.pdf", PDF), ("booth.jpg", PNG)],
    )
    claim = data_of(submitted)["submitFundClaim"]
    asked = data_of(
        await factory.gql(ASK, {"id": claim["id"], "reason": "add the attendee list"}, actor=vendor)
    )["requestFundClaimInfo"]
    attendees = b"name,company\nAda,Initech\nGrace,Hooli\n"
    resubmitted = await upload(
        factory, alpha, RESUBMIT, {"id": claim["id"]}, [("attendees.csv", attendees)]
    )
    stale = await factory.gql(APPROVE_CLAIM, {"id": claim["id"], "v": 2}, actor=vendor)
    above = await factory.gql(
        APPROVE_CLAIM, {"id": claim["id"], "amount": money(3_800_01)}, actor=vendor
    )
    decided = data_of(
        await factory.gql(
            APPROVE_CLAIM, {"id": claim["id"], "amount": money(3_500_00), "v": 3}, actor=vendor
        )
    )["approveFundClaim"]
    erp = await factory.vendor_user(Role.INTEGRATION)
    paid = data_of(
        await factory.gql(PAID, {"id": claim["id"], "reference": "ERP-PAY-0042"}, actor=erp)
    )["markFundClaimPaid"]
    urls = data_of(await factory.gql(PROOF_URLS, {"id": claim["id"]}, actor=vendor))
    withdraw = await factory.gql(WITHDRAW, {"id": request}, actor=alpha)

    assert claim["status"] == "SUBMITTED"
    assert claim["claimed"] == money(3_800_00)
    assert [(p["fileName"], p["contentType"], p["size"]) for p in claim["proofs"]] == [
        ("invoice.pdf", "application/pdf", len(PDF)),
        ("booth.jpg", "image/png", len(PNG)),
    ]
    assert claim["request"]["claim"] == {"id": claim["id"]}
    assert (asked["status"], asked["decisionNote"]) == ("INFO_REQUESTED", "add the attendee list")
    again = data_of(resubmitted)["resubmitFundClaim"]
    assert (again["status"], again["version"]) == ("SUBMITTED", 3)
    assert [p["contentType"] for p in again["proofs"]] == [
        "application/pdf",
        "image/png",
        "text/plain",
    ]
    assert errors_of(stale) == [("CONFLICT", "expectedVersion")]
    assert errors_of(above) == [("BAD_USER_INPUT", "amount.amountMinor")]
    assert (decided["status"], decided["approved"]) == ("APPROVED", {"amountMinor": 3_500_00})
    # 4,000.00 was reserved; the claim keeps 3,500.00 and 500.00 goes back.
    assert decided["request"]["allocation"] == {
        "reserved": {"amountMinor": 3_500_00},
        "available": {"amountMinor": 6_500_00},
    }
    assert (paid["status"], paid["paymentReference"]) == ("PAID", "ERP-PAY-0042")
    assert paid["paidAt"] is not None
    async with httpx.AsyncClient() as http:
        fetched = [(await http.get(p["downloadUrl"])).content for p in urls["fundClaim"]["proofs"]]
    assert fetched == [PDF, PNG, attendees]
    assert len(bucket_contents(settings)[0]) == 3
    assert errors_of(withdraw) == [("CONFLICT", "id")]


async def test_claims_too_early_too_late_doubled_without_proof_or_disguised_are_refused(
    approved: dict[str, Any],
    clock: ManualClock,
    settings: Settings,  # noqa: F811 (the fixture)
) -> None:
    factory, request = approved["factory"], approved["request"]
    early = await upload(
        factory,
        approved["alpha"],
        SUBMIT_CLAIM,
        {"request": request, "amount": money(1_00)},
        [("invoice.pdf", PDF)],
    )
    alpha = after_the_activity(approved, clock, days=0)
    variables = {"request": request, "amount": money(1_000_00)}
    disguised = await upload(
        factory, alpha, SUBMIT_CLAIM, variables, [("invoice.pdf", PDF), ("photos.pdf", EXE)]
    )
    none = await factory.gql(SUBMIT_CLAIM, {**variables, "proofs": []}, actor=alpha)
    too_much = await upload(
        factory, alpha, SUBMIT_CLAIM, {**variables, "amount": money(4_000_01)}, [("i.pdf", PDF)]
    )
    euros = await upload(
        factory, alpha, SUBMIT_CLAIM, {**variables, "amount": money(1_00, "EUR")}, [("i.pdf", PDF)]
    )
    stored_after_refusals = bucket_contents(settings)
    first = await upload(factory, alpha, SUBMIT_CLAIM, variables, [("invoice.pdf", PDF)])
    doubled = await upload(factory, alpha, SUBMIT_CLAIM, variables, [("invoice.pdf", PDF)])

    assert errors_of(early) == [("CONFLICT", "requestId")]
    assert "2026-04-03" in early["errors"][0]["message"]
    assert errors_of(disguised) == [("BAD_USER_INPUT", "proofs[1]")]
    assert errors_of(none) == [("BAD_USER_INPUT", "proofs")]
    assert errors_of(too_much) == [("BAD_USER_INPUT", "amount.amountMinor")]
    assert errors_of(euros) == [("BAD_USER_INPUT", "amount.currency")]
    assert stored_after_refusals == ([], [])
    assert data_of(first)["submitFundClaim"]["status"] == "SUBMITTED"
    assert errors_of(doubled) == [("CONFLICT", "requestId")]
    assert len(bucket_contents(settings)[0]) == 1


async def test_a_claim_after_the_window_is_refused_and_the_last_day_is_taken(
    approved: dict[str, Any], clock: ManualClock
) -> None:
    factory, request = approved["factory"], approved["request"]
    alpha = after_the_activity(approved, clock, days=60)
    variables = {"request": request, "amount": money(1_000_00)}
    last_day = await upload(factory, alpha, SUBMIT_CLAIM, variables, [("invoice.pdf", PDF)])
    other = data_of(
        await factory.gql(
            SUBMIT,
            {"input": request_of(approved["allocations"]["Alpha"], 1_00)},
            actor=alpha,
        )
    )
    clock.advance(days=1)
    late_alpha = approved["factory"].fresh(alpha)
    vendor = approved["factory"].fresh(approved["vendor"])
    late_request = other["submitFundRequest"]["id"]
    data_of(await factory.gql(APPROVE, {"id": late_request}, actor=vendor))
    late = await upload(
        factory,
        late_alpha,
        SUBMIT_CLAIM,
        {"request": late_request, "amount": money(1_00)},
        [("invoice.pdf", PDF)],
    )

    assert data_of(last_day)["submitFundClaim"]["status"] == "SUBMITTED"
    assert errors_of(late) == [("CONFLICT", "requestId")]
    assert "closed on 2026-06-02" in late["errors"][0]["message"]


async def test_a_rejected_claim_gives_the_reservation_back_and_another_partner_sees_nothing(
    approved: dict[str, Any], clock: ManualClock
) -> None:
    factory, request = approved["factory"], approved["request"]
    alpha = after_the_activity(approved, clock, days=2)
    vendor, beta = approved["vendor"], approved["beta"]
    variables = {"request": request, "amount": money(2_000_00)}
    claim = data_of(await upload(factory, alpha, SUBMIT_CLAIM, variables, [("i.pdf", PDF)]))[
        "submitFundClaim"
    ]["id"]
    seen = {
        "claim": await factory.gql(CLAIM, {"id": claim}, actor=beta),
        "urls": await factory.gql(PROOF_URLS, {"id": claim}, actor=beta),
        "resubmit": await factory.gql(RESUBMIT, {"id": claim, "note": "mine"}, actor=beta),
        "claim_for_it": await upload(factory, beta, SUBMIT_CLAIM, variables, [("i.pdf", PDF)]),
    }
    listed = data_of(await factory.gql(CLAIMS, actor=beta))["fundClaims"]
    by_partner = await factory.gql(APPROVE_CLAIM, {"id": claim}, actor=alpha)
    unpaid = await factory.gql(PAID, {"id": claim, "reference": "X"}, actor=vendor)
    blank = await factory.gql(REJECT_CLAIM, {"id": claim, "reason": " "}, actor=vendor)
    rejected = data_of(
        await factory.gql(REJECT_CLAIM, {"id": claim, "reason": "no proof of date"}, actor=vendor)
    )["rejectFundClaim"]
    mine = data_of(await factory.gql(CLAIMS, {"filter": {"statuses": ["REJECTED"]}}, actor=alpha))
    by_partner_id = {
        name: data_of(
            await factory.gql(CLAIMS, {"filter": {"partnerId": partner.id}}, actor=vendor)
        )["fundClaims"]["totalCount"]
        for name, partner in approved["partners"].items()
    }

    assert {name: errors_of(answer) for name, answer in seen.items()} == {
        "claim": [("NOT_FOUND", "id")],
        "urls": [("NOT_FOUND", "id")],
        "resubmit": [("NOT_FOUND", "id")],
        "claim_for_it": [("NOT_FOUND", "requestId")],
    }
    assert listed["totalCount"] == 0
    assert [code for code, _ in errors_of(by_partner)] == ["FORBIDDEN"]
    assert errors_of(unpaid) == [("CONFLICT", "id")]
    assert errors_of(blank) == [("BAD_USER_INPUT", "reason")]
    assert (rejected["status"], rejected["decisionNote"]) == ("REJECTED", "no proof of date")
    assert rejected["request"]["allocation"] == {
        "reserved": {"amountMinor": 0},
        "available": {"amountMinor": 10_000_00},
    }
    assert [edge["node"]["id"] for edge in mine["fundClaims"]["edges"]] == [claim]
    assert by_partner_id == {"Alpha": 1, "Beta": 0}
