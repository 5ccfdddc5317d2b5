import { AUTH_PAGES } from "../src/auth/paths";
import { Layout } from "./layout";

export function LoginPage(props: { next: string; error?: string; email?: string }) {
  return (
    <Layout title="Sign in" signedOut>
      <h1>Sign in</h1>
      <form method="post" action={AUTH_PAGES.login()} class="settings login">
        <input type="hidden" name="next" value={props.next} />
        <label>
          Email
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
          Password
          <input type="password" name="password" required autocomplete="current-password" />
        </label>
        {props.error ? (
          <p class="error" role="alert" safe>
            {props.error}
          </p>
        ) : (
          ""
        )}
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
