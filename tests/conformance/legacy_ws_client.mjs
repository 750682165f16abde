// A real subscriptions-transport-ws client (the legacy `graphql-ws` subprotocol that Apollo
// iOS 1.x and Apollo Kotlin's classic transport speak) against a running ChannelHub.
//
// Usage: node legacy_ws_client.mjs URL TOKEN COUNT
// The same lines as ws_client.mjs: {"kind": "query"|"ready"|"event"|"error", ...}; the token
// goes as connectionParams {headers: {Authorization}}, as Apollo's mobile clients send it.
import transport from 'subscriptions-transport-ws';
import WebSocket from 'ws';

const [url, token, count] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const fail = (error) => {
  print({ kind: 'error', error: String(error?.message ?? JSON.stringify(error)) });
  process.exit(1);
};
const client = new transport.SubscriptionClient(
  url,
  {
    reconnect: false,
    connectionParams: { headers: { Authorization: `Bearer ${token}` } },
    connectionCallback: (error) => { if (error) fail(error); },
  },
  WebSocket,
);
client.onError((error) => fail(error));

const me = await new Promise((resolve, reject) => {
  let result;
  client.request({ query: '{ me { email } }' }).subscribe({
    next: (value) => { result = value; },
    error: reject,
    complete: () => resolve(result),
  });
}).catch(fail);
print({ kind: 'query', result: me });

let received = 0;
client.request({ query: 'subscription { leadEvents { cursor type lead { customerCompany } } }' })
  .subscribe({
    next: (value) => {
      print({ kind: 'event', result: value });
      received += 1;
      if (received >= Number(count)) {
        client.close();
        process.exit(0);
      }
    },
    error: fail,
    complete: () => {},
  });
setTimeout(() => print({ kind: 'ready' }), 300);
setTimeout(() => fail('timed out waiting for events'), 20000);
