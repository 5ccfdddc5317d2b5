import { AUTH_PAGES } from "../src/auth/paths";
import { ROLES } from "../src/auth/policy";
import type { UserDoc } from "../src/auth/store";
import { LOCALE_NAMES, LOCALES, type Locale } from "../src/i18n/locale";
import type { SessionDoc } from "../src/sessions/repo";
import { t, tAttr } from "../src/web/reader";
import { RoleAndSessions, roleWord, ShownOnce } from "./components";
import { Layout } from "./layout";

export type ShownAccount = Omit<UserDoc, "passwordHash">;

/** The language an account's pages are written in (unless a device switched). */
function LanguageChoice(props: { chosen?: Locale | undefined; label: string; id?: string }) {
  return (
    <select name="language" aria-label={props.label} id={props.id}>
      <option value="" selected={!props.chosen}>
        {t("the browser's")}
      </option>
      {LOCALES.map((l) => (
        <option value={l} selected={props.chosen === l} lang={l} safe>
          {LOCALE_NAMES[l]}
        </option>
      ))}
    </select>
  );
}

function AccountRow(props: { a: ShownAccount }) {
  const { a } = props;
  const id = String(a._id);
  return (
    <tr>
      <td safe>{a.name}</td>
      <td safe>{a.email}</td>
      <td>
        <form hx-post={AUTH_PAGES.account({ id })} hx-target="#accounts" hx-swap="outerHTML" class="inline">
          <select name="role" aria-label={tAttr("Role of {name}", { name: a.name })}>
            {ROLES.map((role) => (
              <option value={role} selected={a.role === role} safe>
                {roleWord(role)}
              </option>
            ))}
          </select>
          <LanguageChoice chosen={a.language} label={tAttr("Language of {name}", { name: a.name })} />
          <button type="submit" class="secondary">
            {t("Save")}
          </button>
        </form>
      </td>
      <td>{a.sessionIds?.length ? t("{n} assigned", { n: a.sessionIds.length }) : t("all")}</td>
      <td>{a.disabled ? t("disabled") : t("active")}</td>
      <td class="actions">
        <button
          type="button"
          class={a.disabled ? "accept" : "decline"}
          hx-post={AUTH_PAGES.account({ id })}
          hx-vals={JSON.stringify({ disabled: a.disabled ? "false" : "true" })}
          hx-target="#accounts"
          hx-swap="outerHTML"
        >
          {a.disabled ? t("Enable") : t("Disable")}
        </button>
        <button
          type="button"
          class="secondary"
          hx-post={AUTH_PAGES.resetPassword({ id })}
          hx-target="#accounts"
          hx-swap="outerHTML"
          hx-confirm={tAttr("Give {email} a new password? Their sessions end everywhere.", {
            email: a.email,
          })}
        >
          {t("Reset password")}
        </button>
        <button
          type="button"
          class="secondary"
          hx-post={AUTH_PAGES.signOutEverywhere({ id })}
          hx-target="#accounts"
          hx-swap="outerHTML"
        >
          {t("Sign out everywhere")}
        </button>
      </td>
    </tr>
  );
}

/** The staff list, with what an admin may do to each account; `shown` is a password shown once. */
export function AccountList(props: {
  accounts: ShownAccount[];
  shown?: { email: string; password: string };
}) {
  return (
    <section id="accounts">
      {props.shown ? (
        <ShownOnce
          headline="Password set"
          words="Give it to {email} now; it is not shown again:"
          params={{ email: props.shown.email }}
          value={props.shown.password}
        />
      ) : (
        ""
      )}
      <div class="table-scroll">
        <table class="overview" tabindex="0">
          <thead>
            <tr>
              <th>{t("Name")}</th>
              <th>{t("Email")}</th>
              <th>{t("Role and language")}</th>
              <th>{t("Sessions")}</th>
              <th>{t("State")}</th>
              <th>{t("Actions")}</th>
            </tr>
          </thead>
          <tbody>
            {props.accounts.map((a) => (
              <AccountRow a={a} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function AccountsPage(props: { accounts: ShownAccount[]; sessions: SessionDoc[] }) {
  return (
    <Layout title={tAttr("Staff accounts")}>
      <h1>{t("Staff accounts")}</h1>
      <p class="meta">
        {t(
          "Changes apply on every instance at once; a disabled or signed-out account loses its pages and dashboards.",
        )}
      </p>
      <form class="settings" hx-post={AUTH_PAGES.accounts()} hx-target="#accounts" hx-swap="outerHTML">
        <label>
          {t("Name")}
          <input name="name" required maxlength="200" />
        </label>
        <label>
          {t("Email")}
          <input name="email" type="email" required maxlength="254" />
        </label>
        <RoleAndSessions id="account-sessions" sessions={props.sessions} />
        <label for="new-account-language">{t("Language")}</label>
        <LanguageChoice label={tAttr("Language")} id="new-account-language" />
        <button type="submit">{t("Create account")}</button>
      </form>
      <AccountList accounts={props.accounts} />
    </Layout>
  );
}
