import { AUTH_PAGES } from "../src/auth/paths";
import type { Phrase } from "../src/i18n/locale";
import { sayHere, t, tAttr } from "../src/web/reader";
import { Layout } from "./layout";

export function LoginPage(props: { next: string; error?: Phrase; email?: string }) {
  return (
    <Layout title={tAttr("Sign in")} signedOut>
      <h1>{t("Sign in")}</h1>
      <form method="post" action={AUTH_PAGES.login()} class="settings login">
        <input type="hidden" name="next" value={props.next} />
        <label>
          {t("Email")}
          <input
            type="email"
            name="email"
            required
            autocomplete="username"
            value={props.email ?? ""}
            autofocus
          />
        </label>
        <label>
          {t("Password")}
          <input type="password" name="password" required autocomplete="current-password" />
        </label>
        {props.error ? (
          <p class="error" role="alert" safe>
            {sayHere(props.error)}
          </p>
        ) : (
          ""
        )}
        <button type="submit">{t("Sign in")}</button>
      </form>
    </Layout>
  );
}
