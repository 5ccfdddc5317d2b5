import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderNginx, writeNginx } from "../../../deploy/nginx/render";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "checkin-nginx-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function nginxTest(dir: string) {
  const result = Bun.spawnSync(["nginx", "-t", "-p", dir, "-c", join(dir, "nginx.conf")]);
  return { code: result.exitCode, output: result.stderr.toString() };
}

test("the local configuration passes nginx -t", () => {
  const dir = tempDir();
  writeNginx({ ports: [3001, 3002], outDir: dir, mode: "local", listen: "127.0.0.1:18080" });
  const { code, output } = nginxTest(dir);
  expect(output).toContain("syntax is ok");
  expect(code).toBe(0);
  // Clusters of tests and benches run side by side: no fixed status port of their own.
  expect(readFileSync(join(dir, "checkin.conf"), "utf8")).not.toContain("9145");
});

test("a plain-HTTP site (install.sh --listen) answers Prometheus' Nginx probe like the TLS site", () => {
  const files = renderNginx({
    ports: [3001],
    outDir: "/x",
    mode: "local",
    listen: "0.0.0.0:80",
    status: true,
  });
  expect(files["checkin.conf"]).toContain("listen 127.0.0.1:9145;");
  const tls = renderNginx({ ports: [3001], outDir: "/x", mode: "production", serverName: "checkin.test" });
  expect(tls["checkin.conf"]).toContain("listen 127.0.0.1:9145;");
});

test("the production configuration (TLS, certbot layout) passes nginx -t", () => {
  const dir = tempDir();
  const certDir = join(dir, "live");
  mkdirSync(certDir);
  const openssl = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=checkin.test",
    ].concat(["-keyout", join(certDir, "privkey.pem"), "-out", join(certDir, "fullchain.pem")]),
  );
  expect(openssl.exitCode).toBe(0);
  writeNginx({
    ports: [3001, 3002, 3003],
    outDir: dir,
    mode: "production",
    serverName: "checkin.test",
    certDir,
  });
  const { code, output } = nginxTest(dir);
  expect(output).toContain("syntax is ok");
  expect(code).toBe(0);
  const site = readFileSync(join(dir, "checkin.conf"), "utf8");
  expect(site).toContain("return 301 https://");
  expect(site).toContain("Strict-Transport-Security");
});

test("upstreams follow the port list: least_conn for HTTP, sticky for WebSockets", () => {
  const files = renderNginx({ ports: [3001, 3002, 3005], outDir: "/x", mode: "local" });
  const site = files["checkin.conf"] as string;
  const http = site.slice(site.indexOf("upstream checkin_http"), site.indexOf("upstream checkin_ws"));
  const ws = site.slice(site.indexOf("upstream checkin_ws"));
  expect(http).toContain("least_conn;");
  expect(http).toContain("keepalive");
  expect(ws).toContain("ip_hash;");
  for (const port of [3001, 3002, 3005]) {
    expect(http).toContain(`server 127.0.0.1:${port} `);
    expect(ws).toContain(`server 127.0.0.1:${port} `);
  }
  expect(http).not.toContain("3003");
  const locations = files["checkin-locations.conf"] as string;
  expect(locations).toContain("X-Request-Id $checkin_request_id");
  const health = locations.slice(locations.indexOf("location /api/v1/health"));
  expect(health.slice(0, health.indexOf("}"))).not.toContain("limit_req");
  expect(() => renderNginx({ ports: [], outDir: "/x", mode: "local" })).toThrow("at least one");
  expect(() => renderNginx({ ports: [70000], outDir: "/x", mode: "local" })).toThrow("not a port");
});
