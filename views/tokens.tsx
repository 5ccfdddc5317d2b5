import { AUTH_PAGES } from "../src/auth/paths";
import type { TokenDoc } from "../src/auth/store";
import type { SessionDoc } from "../src/sessions/repo";
import { fmtDateTime, RoleAndSessions } from "./components";
import { Layout } from "./layout";

export function TokenList(props: {
  tokens: Omit<TokenDoc, "hash">[];
  created?: { name: string; token: string };
}) {
  return (
    <section id="tokens">
      {props.created ? (
        <div class="verdict green created-token" role="status">
          <p class="headline">Token created</p>
          <p class="reason" safe>
            {`Copy it now for "${props.created.name}"; it is not shown again:`}
          </p>
          <code safe>{props.created.token}</code>
        </div>
      ) : (
        ""
      )}
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>Sessions</th>
            <th>Starts with</th>
            <th>Created</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((token) => (
            <tr>
              <td safe>{token.name}</td>
              <td>{token.role}</td>
              <td>{token.sessionIds?.length ? `${token.sessionIds.length} assigned` : "all"}</td>
              <td>
                <code safe>{token.prefix}</code>
              </td>
              <td safe>{fmtDateTime(token.createdAt)}</td>
              <td>
                {token.revokedAt ? (
                  "revoked"
                ) : (
                  <button
                    type="button"
                    class="decline"
                    hx-post={AUTH_PAGES.revokeToken({ id: String(token._id) })}
                    hx-target="#tokens"
                    hx-swap="outerHTML"
                    hx-confirm={`Revoke "${token.name}"? Devices using it stop at once.`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function TokensPage(props: { tokens: Omit<TokenDoc, "hash">[]; sessions: SessionDoc[] }) {
  return (
    <Layout title="API tokens">
      <h1>API tokens</h1>
      <p class="meta">
        For door tablets, the mobile scanner and scripts. A token is shown once and stored hashed.
      </p>
      <form class="settings" hx-post={AUTH_PAGES.tokens()} hx-target="#tokens" hx-swap="outerHTML">
        <label>
          Name
          <input name="name" required maxlength="200" placeholder="Door 3 tablet" />
        </label>
        <RoleAndSessions id="token-sessions" sessions={props.sessions} />
        <button type="submit">Create token</button>
      </form>
      <TokenList tokens={props.tokens} />
    </Layout>
  );
}
