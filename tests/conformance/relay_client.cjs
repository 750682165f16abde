// Relay itself against a running ChannelHub: a query reads a partner into Relay's store, then
// the refetch query relay-compiler made for an @refetchable fragment reads it again through
// `node(id)`, and the store's record (keyed by the global id) holds what the refetch brought.
//
// Usage: node relay_client.cjs URL TOKEN ARTIFACTS_DIR PARTNER_ID NEW_NAME
// ARTIFACTS_DIR holds what relay-compiler wrote for relay/partner.js. Between the two reads
// the partner is renamed (a plain request, unseen by Relay). Prints one JSON line:
// {"first", "refetched", "stored", "requests"}.
const path = require('node:path');
const { Environment, Network, RecordSource, Store, fetchQuery } = require('relay-runtime');

const [url, token, artifacts, partnerId, newName] = process.argv.slice(2);
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
const requests = [];
const network = Network.create(async (params, variables) => {
  requests.push(params.name);
  const answer = await fetch(url, {
    method: 'POST', headers, body: JSON.stringify({ query: params.text, variables }),
  });
  return answer.json();
});
const environment = new Environment({ network, store: new Store(new RecordSource()) });
const query = require(path.join(artifacts, 'partnerQuery.graphql.js'));
const refetch = require(path.join(artifacts, 'partnerRefetchQuery.graphql.js'));

(async () => {
  const first = await fetchQuery(environment, query, { id: partnerId }).toPromise();
  const rename = 'mutation($id: ID!, $name: String!) { updatePartner(id: $id, input: {name: $name}) { id } }';
  await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: rename, variables: { id: partnerId, name: newName } }) });
  const refetched = await fetchQuery(environment, refetch, { id: partnerId }).toPromise();
  const record = environment.getStore().getSource().get(partnerId);
  const stored = record ? { typename: record.__typename, name: record.name, tier: record.tier } : null;
  process.stdout.write(JSON.stringify({ first, refetched, stored, requests }) + '\n');
})().catch((error) => {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + '\n');
  process.exit(1);
});
