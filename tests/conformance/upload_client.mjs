// apollo-upload-client (with Apollo Client) uploads a file to a running ChannelHub.
//
// Usage: node upload_client.mjs URL TOKEN FILE_NAME
// Sends uploadAsset with a small PDF as a File, exactly as a browser app would, and prints
// one JSON line: {"ok": true, "data": ...} or {"ok": false, "error": "..."}.
import { InMemoryCache } from '@apollo/client/cache';
import { ApolloClient } from '@apollo/client/core';
import { gql } from '@apollo/client/core';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';

const [url, token, fileName] = process.argv.slice(2);
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new UploadHttpLink({
    uri: url,
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
  }),
});
const body = new TextEncoder().encode('%PDF-1.7\n' + 'apollo upload '.repeat(200));
const file = new File([body], fileName, { type: 'application/pdf' });
try {
  const result = await client.mutate({
    mutation: gql`
      mutation Upload($file: Upload!) {
        uploadAsset(file: $file, input: { title: "From Apollo", kind: BROCHURE }) {
          id title versions { fileName contentType size }
        }
      }
    `,
    variables: { file },
  });
  process.stdout.write(JSON.stringify({ ok: true, data: result.data, size: body.length }) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(error?.message ?? error) }) + '\n');
  process.exit(1);
}
