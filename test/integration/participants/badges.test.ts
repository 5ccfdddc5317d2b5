import { afterAll, beforeAll, expect, test } from "bun:test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { participantDoc, registrationDoc, seededInProcess, sessionDoc } from "../../helpers/fixtures";
import type { Served as Instance } from "../../helpers/instance";

// Badges: the PNG decodes back to the participant's code; sheets escape names.

let cluster: Awaited<ReturnType<typeof seededInProcess>>;
let a: Instance;
const session = sessionDoc({ name: "Badge room" });
const people = [
  participantDoc(1, { name: "Zoë <b>Bold</b>", organization: "Org & Co" }),
  participantDoc(2),
  participantDoc(3),
];

beforeAll(async () => {
  cluster = await seededInProcess("badges", 1, {
    sessions: [session],
    participants: people,
    registrations: people.slice(0, 2).map((p) => registrationDoc(p._id, session._id)),
  });
  [a] = cluster.instances as [Instance];
});
afterAll(() => cluster.stop());

test("the PNG badge code decodes back to the participant's code", async () => {
  const response = await fetch(`${a.url}/api/v1/participants/${people[0]?._id}/qr.png`, {
    headers: cluster.auth,
  });
  expect(response.headers.get("content-type")).toBe("image/png");
  const png = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(decoded?.data).toBe(people[0]?.qrCode as string);
  const svg = await fetch(`${a.url}/api/v1/participants/${people[0]?._id}/qr.svg`, { headers: cluster.auth });
  expect(svg.headers.get("content-type")).toBe("image/svg+xml");
  expect(await svg.text()).toStartWith("<svg");
});

test("a session's badge sheet holds its confirmed registrations, names escaped", async () => {
  const page = await (
    await fetch(`${a.url}/badges/sessions/${session._id}`, { headers: cluster.auth })
  ).text();
  expect(page).toContain("Zoë &lt;b&gt;Bold&lt;/b&gt;");
  expect(page).toContain("Org &amp; Co");
  expect(page.match(/<article class="badge">/g)?.length).toBe(2);
  expect(page).not.toContain(people[2]?.qrCode as string);
  const picked = await (
    await fetch(`${a.url}/badges?ids=${people[2]?._id}`, { headers: cluster.auth })
  ).text();
  expect(picked.match(/<article class="badge">/g)?.length).toBe(1);
});

test("a badge look-up with a NUL or a code longer than any badge's is a 400 in words, never a 500", async () => {
  const ask = (code: string) =>
    fetch(`${a.url}/api/v1/participants/qr/${code}`, { headers: cluster.auth }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { message?: string; errors?: { message: string }[] },
    }));
  const nul = await ask("%00");
  expect(nul.status).toBe(400);
  expect(JSON.stringify(nul.body)).toContain("control character");
  const long = await ask("X".repeat(5000));
  expect(long.status).toBe(400);
  expect(JSON.stringify(long.body)).toContain("badge code");
  expect((await ask(people[1]?.qrCode ?? "")).status).toBe(200);
});
