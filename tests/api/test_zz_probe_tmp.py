from tests.factories import Factory
from tests.api.test_leads import SETTINGS, UPDATE_SETTINGS, REGISTER, DEAL

async def test_probe(factory: Factory) -> None:
    vendor = await factory.vendor_admin()
    for tiers in (["DIAMOND"], ["gold"]):
        r = await factory.post("mutation($input: LeadSettingsInput!) { updateLeadSettings(input: $input) { autoApproveTiers } }", {"input": {"autoApproveTiers": tiers}}, actor=vendor)
        print("UPD", tiers, r.status_code, r.text)
        r = await factory.post(SETTINGS, actor=vendor)
        print("READ", r.status_code, r.text)
