import { path } from "../web/paths";

/** Signing in and out, staff accounts and API tokens. */
export const AUTH_PAGES = {
  login: path("/login"),
  logout: path("/logout"),
  accounts: path("/admin/accounts"),
  account: path("/admin/accounts/:id"),
  resetPassword: path("/admin/accounts/:id/reset-password"),
  signOutEverywhere: path("/admin/accounts/:id/sign-out-everywhere"),
  tokens: path("/admin/tokens"),
  revokeToken: path("/admin/tokens/:id/revoke"),
};
