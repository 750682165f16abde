// The documents the Relay conformance check compiles with relay-compiler (tests/e2e/test_relay_client.py):
// a partner query, and a fragment relay-compiler makes a `node(id)` refetch query for.
import { graphql } from 'relay-runtime';

export const PartnerFields = graphql`
  fragment partnerFields on Partner @refetchable(queryName: "partnerRefetchQuery") {
    name
    tier
  }
`;

export const PartnerQuery = graphql`
  query partnerQuery($id: ID!) {
    partner(id: $id) { id ...partnerFields }
  }
`;
