import { Elysia, t } from "elysia";
import { assertMaySession, signedIn } from "../auth/plugin";
import type { Principal } from "../auth/store";
import { parseId } from "../http/envelope";
import { AppError } from "../http/errors";
import { IdSchema } from "../http/query";
import type { Runtime } from "../runtime";
import { html } from "../web/html";
import { createHandovers } from "./handover";
import { LeaseId } from "./leases";
import { HANDOVERS } from "./paths";
import type { CheckinService } from "./service";
import { HandoverRow, HandoversPage } from "./views/handovers";

/** The sender, who must be someone (the auth check lets only signed-in staff this far). */
const someone = (principal: Principal | null): Principal => {
  if (!principal) throw new AppError(401, "Sign in, or send an API token as Authorization: Bearer <token>");
  return principal;
};

const HandedScan = t.Object(
  {
    sessionId: IdSchema("session ID"),
    code: t.String({ minLength: 1, maxLength: 64 }),
    direction: t.Union([t.Literal("entry"), t.Literal("exit")]),
    scannedAt: t.String({ format: "date-time" }),
    nonce: t.String({ minLength: 8, maxLength: 128 }),
    provisional: t.Optional(t.String({ maxLength: 40 })),
    device: t.Optional(t.String({ maxLength: 120 })),
    lease: t.Optional(LeaseId),
  },
  { additionalProperties: false },
);

/** A device hands someone else's queued scans over; an admin replays or discards them. */
export function handoverRoutes(rt: Runtime, svc: CheckinService) {
  const handovers = createHandovers(rt.mongo.db, svc);
  return new Elysia({ name: "door-handovers" })
    .use(signedIn)
    .post(
      HANDOVERS.receive.pattern,
      async ({ body, principal, request, set }) => {
        // Only scans of sessions the sender may work: whoever the device says queued them,
        // a replay must not admit anyone where the person handing them over could not.
        for (const sessionId of new Set(body.scans.map((scan) => scan.sessionId)))
          assertMaySession(request, sessionId);
        const doc = await handovers.receive(
          someone(principal),
          body.queuedBy,
          body.scans.map((scan) => ({
            ...scan,
            sessionId: parseId(scan.sessionId),
            scannedAt: new Date(scan.scannedAt),
          })),
        );
        set.status = 201;
        return { handed: doc.scans.length, id: String(doc._id) };
      },
      {
        body: t.Object(
          {
            queuedBy: t.Object(
              {
                account: t.String({ minLength: 1, maxLength: 100 }),
                name: t.String({ maxLength: 200 }),
              },
              { additionalProperties: false },
            ),
            scans: t.Array(HandedScan, { minItems: 1, maxItems: 5000 }),
          },
          { additionalProperties: false },
        ),
      },
    )
    .get(HANDOVERS.list.pattern, async ({ request }) => {
      const docs = await handovers.list();
      return html(request, () => <HandoversPage docs={docs} />);
    })
    .post(HANDOVERS.replay.pattern, async ({ params, request, principal }) => {
      const doc = await handovers.replay(parseId(params.id), someone(principal));
      return html(request, () => <HandoverRow doc={doc} />);
    })
    .post(HANDOVERS.discard.pattern, async ({ params, request, principal }) => {
      const doc = await handovers.discard(parseId(params.id), someone(principal));
      return html(request, () => <HandoverRow doc={doc} />);
    });
}
