import { Elysia, t } from "elysia";
import type { ObjectId } from "mongodb";
import QRCode from "qrcode";
import { BadgeSheet } from "../../views/badges";
import { parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { type Phrase, phrase } from "../i18n/locale";
import { participantsOf } from "../participants/repo";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import { html } from "../web/html";
import { BADGES } from "./paths";

const MAX_SHEET = 1000;

/** Badges: each QR code as SVG or PNG, and printable sheets per session or selection. */
export function badgeRoutes(rt: Runtime) {
  const db = rt.mongo.db;

  async function participantOr404(id: string) {
    const participant = await participantsOf(db).findOne({ _id: parseId(id) });
    if (!participant) throw notFound(phrase("Participant with ID {id} not found", { id }));
    return participant;
  }

  async function sheet(request: Request, title: Phrase, ids: ObjectId[] | null) {
    const people = await participantsOf(db)
      .find(ids ? { _id: { $in: ids } } : {})
      .sort({ name: 1 })
      .limit(MAX_SHEET)
      .toArray();
    const badges = await Promise.all(
      people.map(async (participant) => ({
        participant,
        svg: await QRCode.toString(participant.qrCode, { type: "svg", margin: 1, errorCorrectionLevel: "M" }),
      })),
    );
    return html(request, () => <BadgeSheet title={title} badges={badges} />);
  }

  return new Elysia({ name: "badges" })
    .get("/api/v1/participants/:id/qr.svg", async ({ params }) => {
      const participant = await participantOr404(params.id);
      const svg = await QRCode.toString(participant.qrCode, {
        type: "svg",
        margin: 2,
        errorCorrectionLevel: "M",
      });
      return new Response(svg, { headers: { "content-type": "image/svg+xml" } });
    })
    .get("/api/v1/participants/:id/qr.png", async ({ params }) => {
      const participant = await participantOr404(params.id);
      const png = await QRCode.toBuffer(participant.qrCode, {
        type: "png",
        margin: 2,
        width: 512,
        errorCorrectionLevel: "M",
      });
      return new Response(new Uint8Array(png), { headers: { "content-type": "image/png" } });
    })
    .get(BADGES.session.pattern, async ({ params, request }) => {
      const session = await sessionsOf(db).findOne({ _id: parseId(params.id) });
      if (!session) throw notFound(phrase("Session with ID {id} not found", { id: params.id }));
      const regs = await registrationsOf(db).find({ sessionId: session._id, status: "confirmed" }).toArray();
      return sheet(
        request,
        phrase("Badges · {session}", { session: session.name }),
        regs.map((r) => r.participantId),
      );
    })
    .get(
      BADGES.sheet.pattern,
      ({ query, request }) =>
        sheet(
          request,
          phrase("Badges"),
          query.ids ? query.ids.split(",").filter(Boolean).map(parseId) : null,
        ),
      { query: t.Object({ ids: t.Optional(t.String({ maxLength: 25_000 })) }) },
    );
}
