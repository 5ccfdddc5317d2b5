import { AUTH_PAGES } from "../src/auth/paths";
import type { TokenDoc } from "../src/auth/store";
import type { SessionDoc } from "../src/sessions/repo";
import { t, tAttr } from "../src/web/reader";
import { fmtDateTime, RoleAndSessions, roleWord, ShownOnce } from "./components";
import { Layout } from "./layout";

export function TokenList(props: {
  tokens: Omit<TokenDoc, "hash">[];
  created?: { name: string; token: string };
}) {
  return (
    <section id="tokens">
      {props.created ? (
        <ShownOnce
          headline="Token created"
          words='Copy it now for "{name}"; it is not shown again:'
          params={{ name: props.created.name }}
          value={props.created.token}
        />
      ) : (
        ""
      )}
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>{t("Name")}</th>
            <th>{t("Role")}</th>
            <th>{t("Sessions")}</th>
            <th>{t("Starts with")}</th>
            <th>{t("Created")}</th>
            <th>{t("State")}</th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((token) => (
            <tr>
              <td safe>{token.name}</td>
              <td safe>{roleWord(token.role)}</td>
              <td>
                {token.sessionIds?.length ? t("{n} assigned", { n: token.sessionIds.length }) : t("all")}
              </td>
              <td>
                <code safe>{token.prefix}</code>
              </td>
              <td safe>{fmtDateTime(token.createdAt)}</td>
              <td>
                {token.revokedAt ? (
                  t("revoked")
                ) : (
                  <button
                    type="button"
                    class="decline"
                    hx-post={AUTH_PAGES.revokeToken({ id: String(token._id) })}
                    hx-target="#tokens"
                    hx-swap="outerHTML"
                    hx-confirm={tAttr('Revoke "{name}"? Devices using it stop at once.', {
                      name: token.name,
                    })}
                  >
                    {t("Revoke")}
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
    <Layout title={tAttr("API tokens")}>
      <h1>{t("API tokens")}</h1>
      <p class="meta">
        {t("For door tablets, the mobile scanner and scripts. A token is shown once and stored hashed.")}
      </p>
      <form class="settings" hx-post={AUTH_PAGES.tokens()} hx-target="#tokens" hx-swap="outerHTML">
        <label>
          {t("Name")}
          <input name="name" required maxlength="200" placeholder={tAttr("Door 3 tablet")} />
        </label>
        <RoleAndSessions id="token-sessions" sessions={props.sessions} />
        <button type="submit">{t("Create token")}</button>
      </form>
      <TokenList tokens={props.tokens} />
    </Layout>
  );
}
