// Apollo Client against a running ChannelHub, as an app would set it up: SetContextLink adds
// the token (Apollo's auth recipe: an empty Authorization while logged out), then
// PersistedQueryLink (automatic persisted queries) over HttpLink.
//
// Usage: node apollo_client.mjs URL EMAIL PASSWORD post|get
// Logs in (a mutation, always POST), asks `me` twice with a fresh cache each time, logs out
// and asks again. Prints one JSON line: {"steps": {...}, "requests": [{method, hashed, query}]}
// where `requests` is every HTTP request the client sent, in order.
import { createHash } from 'node:crypto';
import { InMemoryCache } from '@apollo/client/cache';
import { ApolloClient, ApolloLink, gql } from '@apollo/client/core';
import { SetContextLink } from '@apollo/client/link/context';
import { HttpLink } from '@apollo/client/link/http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [url, email, password, method] = process.argv.slice(2);
const requests = [];
const recordingFetch = async (uri, options) => {
  const sent = options.method === 'GET' ? Object.fromEntries(new URL(uri).searchParams) : JSON.parse(options.body);
  const extensions = typeof sent.extensions === 'string' ? JSON.parse(sent.extensions) : sent.extensions;
  requests.push({
    method: options.method,
    hashed: Boolean(extensions?.persistedQuery?.sha256Hash),
    query: typeof sent.query === 'string' && sent.query.length > 0,
    authorization: options.headers?.authorization ?? null,
  });
  return fetch(uri, options);
};
let token = null;
const link = ApolloLink.from([
  new SetContextLink((prevContext) => ({
    headers: { ...prevContext.headers, authorization: token ? `Bearer ${token}` : '' },
  })),
  new PersistedQueryLink({
    sha256: (text) => createHash('sha256').update(text).digest('hex'),
    useGETForHashedQueries: method === 'get',
  }),
  new HttpLink({ uri: url, fetch: recordingFetch }),
]);
const client = () => new ApolloClient({ cache: new InMemoryCache(), link });
const ME = gql`query Me { me { email role } }`;
const LOGIN = gql`mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}`;
const steps = {};
const outcome = async (work) => {
  try {
    const result = await work();
    return { data: result.data ?? null, errors: (result.error?.errors ?? []).map((e) => e.extensions?.code) };
  } catch (error) {
    return { data: null, errors: (error?.errors ?? [{ extensions: { code: String(error?.message ?? error) } }]).map((e) => e.extensions?.code) };
  }
};
steps.loggedOut = await outcome(() => client().query({ query: ME, fetchPolicy: 'network-only' }));
steps.login = await outcome(() => client().mutate({ mutation: LOGIN, variables: { email, password } }));
token = steps.login.data?.login?.token ?? null;
steps.first = await outcome(() => client().query({ query: ME, fetchPolicy: 'network-only' }));
steps.second = await outcome(() => client().query({ query: ME, fetchPolicy: 'network-only' }));
token = null;
steps.after = await outcome(() => client().query({ query: ME, fetchPolicy: 'network-only' }));
process.stdout.write(JSON.stringify({ steps, requests }) + '\n');
