// GraphiQL for ChannelHub: queries and mutations over HTTP, subscriptions over one
// graphql-transport-ws socket, and a login form whose access token both carry.
(function () {
  "use strict";

  const STORAGE_KEY = "channelhub.graphiql.session";
  const USER = "user { email name role organization { name } }";
  const LOGIN = `mutation GraphiQLLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token expiresAt refreshToken refreshExpiresAt ${USER}
  }
}`;
  const REFRESH = `mutation GraphiQLRefresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) {
    token expiresAt refreshToken refreshExpiresAt ${USER}
  }
}`;
  const LOGOUT = `mutation GraphiQLLogout($refreshToken: String) {
  logout(refreshToken: $refreshToken)
}`;
  const DEFAULT_QUERY = `# Log in above, then run this (Ctrl-Enter) or any other operation:
# the access token goes with each request as Authorization: Bearer, and in the
# socket's connection_init (a header set in the Headers tab wins over it).
{
  me { email name role organization { name } }
}
`;

  const LOGGED_OUT_SUBSCRIPTION = "Log in first: the socket needs an access token";

  // The page is served at the GraphQL endpoint itself.
  const httpUrl = new URL(window.location.pathname, window.location.href).href;
  const wsUrl = httpUrl.replace(/^http/, "ws");

  const elements = {
    login: document.getElementById("hub-login"),
    session: document.getElementById("hub-session"),
    who: document.getElementById("hub-who"),
    logout: document.getElementById("hub-logout"),
    status: document.getElementById("hub-status"),
  };

  let session = loadSession();
  let refreshing = null;
  let socket = null;

  function loadSession() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORAGE_KEY));
    } catch {
      return null;
    }
  }

  function storeSession(next) {
    session = next;
    if (next) {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } else {
      window.sessionStorage.removeItem(STORAGE_KEY);
    }
  }

  function sessionOf(payload) {
    return {
      token: payload.token,
      expiresAt: payload.expiresAt,
      refreshToken: payload.refreshToken,
      refreshExpiresAt: payload.refreshExpiresAt,
      user: payload.user,
    };
  }

  function showStatus(text, isError) {
    elements.status.textContent = text;
    elements.status.classList.toggle("hub-error", Boolean(isError));
  }

  async function post(query, variables, token) {
    const headers = {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
    };
    if (token) {
      headers.authorization = `Bearer ${token}`;
    }
    const response = await fetch(httpUrl, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) {
      throw new Error(body.errors.map((error) => error.message).join("; "));
    }
    return body.data;
  }

  // The access token of a refreshed session, once the hub refused `stale` (401 or 4403).
  // Refreshing when refused, not ahead of the expiry, keeps a skewed browser clock harmless.
  function refreshed(stale) {
    if (!session || !session.refreshToken) {
      return Promise.resolve(null);
    }
    if (session.token !== stale) {
      return Promise.resolve(session.token);
    }
    refreshing = refreshing || refresh().finally(() => (refreshing = null));
    return refreshing;
  }

  async function refresh() {
    try {
      const data = await post(REFRESH, { refreshToken: session.refreshToken });
      storeSession(sessionOf(data.refreshToken));
      showSession();
      return session.token;
    } catch (error) {
      endSession(`The session ended (${error.message}): log in again`);
      return null;
    }
  }

  function endSession(reason) {
    storeSession(null);
    sessionChanged();
    showStatus(reason, true);
  }

  async function logIn(event) {
    event.preventDefault();
    const form = new FormData(elements.login);
    showStatus("Logging in…");
    try {
      const data = await post(LOGIN, {
        email: form.get("email"),
        password: form.get("password"),
      });
      storeSession(sessionOf(data.login));
      elements.login.reset();
      showStatus("");
    } catch (error) {
      showStatus(`Login failed: ${error.message}`, true);
      return;
    }
    sessionChanged();
  }

  async function logOut() {
    const ending = session;
    storeSession(null);
    sessionChanged();
    showStatus("Logged out");
    try {
      await post(LOGOUT, { refreshToken: ending.refreshToken }, ending.token);
    } catch (error) {
      showStatus(`Logged out here; the hub said: ${error.message}`, true);
    }
  }

  // A fetch that adds the access token (unless the Headers tab sets Authorization itself),
  // and sends the request again with a refreshed one when the hub refuses it.
  async function hubFetch(url, init) {
    const headers = new Headers(init.headers);
    headers.set("accept", "application/graphql-response+json, application/json");
    const token = headers.has("authorization") ? null : session && session.token;
    if (token) {
      headers.set("authorization", `Bearer ${token}`);
    }
    const response = await fetch(url, { ...init, headers });
    if (response.status !== 401 || !token) {
      return response;
    }
    const fresh = await refreshed(token);
    if (!fresh) {
      return response;
    }
    headers.set("authorization", `Bearer ${fresh}`);
    return fetch(url, { ...init, headers });
  }

  function openSocket() {
    let refused = null;
    const client = graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      retryAttempts: 3,
      // A refused token (4403) is retried once, with a refreshed one.
      shouldRetry: (closed) => {
        if (!closed || closed.code !== 4403) {
          return true;
        }
        const retry = Boolean(session && session.refreshToken && refused !== session.token);
        refused = session && session.token;
        return retry;
      },
      connectionParams: async () => {
        const token = refused ? await refreshed(refused) : session && session.token;
        return token ? { authorization: `Bearer ${token}` } : {};
      },
    });
    client.on("connected", () => showStatus("Socket connected"));
    client.on("closed", (closed) => {
      if (socket === client && closed && closed.code !== 1000) {
        showStatus(`Socket closed: ${closed.code} ${closed.reason || ""}`.trim(), true);
      }
    });
    return client;
  }

  function closeSocket() {
    if (socket) {
      const closing = socket;
      socket = null;
      closing.dispose();
    }
  }

  // One socket for every subscription, opened with the token of the session it serves.
  const wsClient = {
    subscribe(payload, sink) {
      socket = socket || openSocket();
      return socket.subscribe(payload, sink);
    },
  };

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));

  // The document sent, parsed: what tells a subscription (for the socket) from the rest.
  // GraphiQL's own parse of the editor lags a moment behind the text.
  function documentOf(query, fallback) {
    try {
      return GraphiQL.GraphQL.parse(query);
    } catch {
      return fallback;
    }
  }

  // A new fetcher per session: GraphiQL fetches the schema again with the new caller.
  function render() {
    const send = GraphiQL.createFetcher({
      url: httpUrl,
      fetch: hubFetch,
      wsClient,
      enableIncrementalDelivery: false,
    });
    const fetcher = (params, options) => {
      const documentAST = documentOf(params.query, options?.documentAST);
      const operation =
        documentAST && GraphiQL.GraphQL.getOperationAST(documentAST, params.operationName);
      if (!session && operation && operation.operation === "subscription") {
        return Promise.resolve({ errors: [{ message: LOGGED_OUT_SUBSCRIPTION }] });
      }
      return send(params, { ...options, documentAST });
    };
    root.render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: DEFAULT_QUERY,
        defaultEditorToolsVisibility: true,
      }),
    );
  }

  function showSession() {
    elements.login.hidden = Boolean(session);
    elements.session.hidden = !session;
    elements.who.textContent = session
      ? `${session.user.email} (${session.user.role}, ${session.user.organization.name})`
      : "";
  }

  // Another caller: a new socket (opened on the next subscription) and a new fetcher.
  function sessionChanged() {
    closeSocket();
    showSession();
    render();
  }

  elements.login.addEventListener("submit", logIn);
  elements.logout.addEventListener("click", logOut);
  sessionChanged();
})();
