// GraphQL over HTTP conformance audit of a running server, with graphql-http.
//
// Usage: node audit.mjs URL
// Prints one JSON object to stdout and exits 0:
//   {"ok": n, "notice": n, "warn": n, "error": n,
//    "results": [{"id", "status", "name", "reason"}, ...]}
// A request that cannot be made (connection refused, timeout) is reported as an
// error result of its audit rather than aborting the whole run.
import { serverAudits } from 'graphql-http';

const REQUEST_TIMEOUT_MS = 10_000;

function fetchWithTimeout(input, init = {}) {
  return fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

function describe(error) {
  const cause = error?.cause?.message ?? error?.cause?.code;
  const message = error?.message ?? String(error);
  return cause ? `${message}: ${cause}` : message;
}

// auditServer() is Promise.all over serverAudits(), which rejects on the first
// fatal error; running the same audits one promise each keeps every result.
async function audit(url) {
  const audits = serverAudits({ url, fetchFn: fetchWithTimeout });
  return Promise.all(
    audits.map(async ({ id, name, fn }) => {
      try {
        const result = await fn();
        return { id, status: result.status, name, reason: result.reason ?? null };
      } catch (error) {
        return { id, status: 'error', name, reason: describe(error) };
      }
    }),
  );
}

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await audit(url);
const count = (status) => results.filter((result) => result.status === status).length;
const summary = {
  ok: count('ok'),
  notice: count('notice'),
  warn: count('warn'),
  error: count('error'),
  results,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
