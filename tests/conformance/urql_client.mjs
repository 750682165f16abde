// urql with its normalized cache (graphcache) against a running ChannelHub: entities are
// keyed by `__typename` and `id`, so a mutation's answer updates every cached query that holds
// the same entity, with no refetch.
//
// Usage: node urql_client.mjs URL TOKEN QUERY_FILE
// QUERY_FILE is a JSON object {list, listPath, mutation, variables}: `list` is a query whose
// entities are cached, `mutation` changes one of them. Prints one JSON line:
// {"before", "after", "requests", "warnings"}; `after` is `list` read from the cache alone.
import { readFileSync } from 'node:fs';
import { Client, fetchExchange, gql } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';

const [url, token, queryFile] = process.argv.slice(2);
const { list, mutation, variables } = JSON.parse(readFileSync(queryFile, 'utf8'));
const warnings = [];
console.warn = (...args) => warnings.push(args.map(String).join(' '));
let requests = 0;
const client = new Client({
  url,
  fetch: (...args) => { requests += 1; return fetch(...args); },
  fetchOptions: { headers: { authorization: `Bearer ${token}` } },
  // Connections, edges and page info are lists of something, not entities: no key.
  exchanges: [
    cacheExchange({
      keys: new Proxy({}, {
        get: (_, typename) => (/(Connection|Edge)$|^PageInfo$/.test(String(typename)) ? () => null : undefined),
        has: (_, typename) => /(Connection|Edge)$|^PageInfo$/.test(String(typename)),
      }),
    }),
    fetchExchange,
  ],
});
const before = await client.query(gql(list), {}).toPromise();
const changed = await client.mutation(gql(mutation), variables).toPromise();
const after = await client.query(gql(list), {}, { requestPolicy: 'cache-only' }).toPromise();
const errors = [before.error, changed.error, after.error].filter(Boolean).map(String);
process.stdout.write(JSON.stringify({ before: before.data, after: after.data, requests, warnings, errors }) + '\n');
