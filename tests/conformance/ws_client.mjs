// A real graphql-ws client (the npm package) against a running ChannelHub.
//
// Usage: node ws_client.mjs URL TOKEN COUNT
// Runs `{ me { email } }` over the socket, then subscribes to leadEvents and prints one
// JSON line per message: {"kind": "query"|"event"|"error", ...}. Prints {"kind": "ready"}
// once subscribed; exits 0 after COUNT events, 1 on any error.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, count] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => {} },
});

const fail = (error) => {
  print({ kind: 'error', error: String(error?.reason ?? error?.message ?? JSON.stringify(error)) });
  client.dispose();
  process.exit(1);
};

const me = await new Promise((resolve, reject) => {
  let result;
  client.subscribe({ query: '{ me { email } }' }, {
    next: (value) => { result = value; },
    error: reject,
    complete: () => resolve(result),
  });
}).catch(fail);
print({ kind: 'query', result: me });

let received = 0;
client.subscribe(
  { query: 'subscription { leadEvents { cursor type lead { customerCompany } } }' },
  {
    next: (value) => {
      print({ kind: 'event', result: value });
      received += 1;
      if (received >= Number(count)) {
        client.dispose();
        process.exit(0);
      }
    },
    error: fail,
    complete: () => {},
  },
);
setTimeout(() => print({ kind: 'ready' }), 300);
setTimeout(() => fail('timed out waiting for events'), 20000);
