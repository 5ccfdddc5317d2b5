import { AUTH_PAGES } from "../src/auth/paths";
import type { UserDoc } from "../src/auth/store";
import type { SessionDoc } from "../src/sessions/repo";
import { RoleAndSessions } from "./components";
import { Layout } from "./layout";

export type ShownAccount = Omit<UserDoc, "passwordHash">;

/** The staff list, with what an admin may do to each account; `shown` is a password shown once. */
export function AccountList(props: {
  accounts: ShownAccount[];
  shown?: { email: string; password: string };
}) {
  return (
    <section id="accounts">
      {props.shown ? (
        <div class="verdict green created-token" role="status">
          <p class="headline">Password set</p>
          <p class="reason" safe>{`Give it to ${props.shown.email} now; it is not shown again:`}</p>
          <code safe>{props.shown.password}</code>
        </div>
      ) : (
        ""
      )}
      <div class="table-scroll">
        <table class="overview" tabindex="0">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Sessions</th>
              <th>State</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.accounts.map((a) => (
              <tr>
                <td safe>{a.name}</td>
                <td safe>{a.email}</td>
                <td>
                  <form
                    hx-post={AUTH_PAGES.account({ id: String(a._id) })}
                    hx-target="#accounts"
                    hx-swap="outerHTML"
                    class="inline"
                  >
                    <select name="role" aria-label={`Role of ${a.name}`}>
                      {["admin", "scanner", "viewer"].map((role) => (
                        <option value={role} selected={a.role === role} safe>
                          {role}
                        </option>
                      ))}
                    </select>
                    <button type="submit" class="secondary">
                      Save
                    </button>
                  </form>
                </td>
                <td>{a.sessionIds?.length ? `${a.sessionIds.length} assigned` : "all"}</td>
                <td>{a.disabled ? "disabled" : "active"}</td>
                <td class="actions">
                  <button
                    type="button"
                    class={a.disabled ? "accept" : "decline"}
                    hx-post={AUTH_PAGES.account({ id: String(a._id) })}
                    hx-vals={JSON.stringify({ disabled: a.disabled ? "false" : "true" })}
                    hx-target="#accounts"
                    hx-swap="outerHTML"
                  >
                    {a.disabled ? "Enable" : "Disable"}
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    hx-post={AUTH_PAGES.resetPassword({ id: String(a._id) })}
                    hx-target="#accounts"
                    hx-swap="outerHTML"
                    hx-confirm={`Give ${a.email} a new password? Their sessions end everywhere.`}
                  >
                    Reset password
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    hx-post={AUTH_PAGES.signOutEverywhere({ id: String(a._id) })}
                    hx-target="#accounts"
                    hx-swap="outerHTML"
                  >
                    Sign out everywhere
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function AccountsPage(props: { accounts: ShownAccount[]; sessions: SessionDoc[] }) {
  return (
    <Layout title="Staff accounts">
      <h1>Staff accounts</h1>
      <p class="meta">
        Changes apply on every instance at once; a disabled or signed-out account loses its pages and
        dashboards.
      </p>
      <form class="settings" hx-post={AUTH_PAGES.accounts()} hx-target="#accounts" hx-swap="outerHTML">
        <label>
          Name
          <input name="name" required maxlength="200" />
        </label>
        <label>
          Email
          <input name="email" type="email" required maxlength="254" />
        </label>
        <RoleAndSessions id="account-sessions" sessions={props.sessions} />
        <button type="submit">Create account</button>
      </form>
      <AccountList accounts={props.accounts} />
    </Layout>
  );
}
