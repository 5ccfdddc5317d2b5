import { Elysia, t } from "elysia";
import type { ObjectId } from "mongodb";
import QRCode from "qrcode";
import { signedIn } from "../auth/plugin";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import type { Runtime } from "../runtime";
import { sessionsOf } from "../sessions/repo";
import type { Settings } from "../settings/settings";
import { html } from "../web/html";
import { tAttr } from "../web/reader";
import { type CertificateDoc, createCertificates } from "./certificates";
import { attendanceBySession, attendanceOf, correct, historyIn } from "./history";
import { attendancePage } from "./page";
import { CERTIFICATE_PAGES } from "./paths";
import { CertificatesPage, type ShownCertificate, VerifyPage } from "./views";

const Correction = t.Object(
  {
    sessionId: IdSchema("session ID"),
    kind: t.Union([t.Literal("entry"), t.Literal("exit"), t.Literal("void")]),
    at: t.Optional(t.String({ format: "date-time", description: "When the entry or exit happened" })),
    eventId: t.Optional(IdSchema("event ID")),
    note: t.Optional(t.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** The site's own address: PUBLIC_URL when set (behind TLS), else what the request was sent to. */
const siteOf = (request: Request) =>
  (process.env.PUBLIC_URL || new URL(request.url).origin).replace(/\/+$/, "");

/** Minutes, credits and corrections: the JSON routes (admins, the policy's default). */
function attendanceApi(rt: Runtime) {
  const db = rt.mongo.db;
  return new Elysia({ name: "attendance-api" })
    .use(signedIn)
    .get("/api/v1/participants/:id/attendance", async ({ params, request }) => {
      const id = parseId(params.id);
      const { sessions, totalCredits } = await attendanceOf(db, id);
      return ok(
        request,
        {
          participantId: String(id),
          sessions: sessions.map(({ sessionId, name, minutes, percent, credited, credits, inside }) => ({
            sessionId,
            name,
            minutes,
            percent,
            credited,
            credits,
            inside,
          })),
          totalCredits,
        },
        "Attendance",
      );
    })
    .get(
      "/api/v1/participants/:id/attendance/history",
      async ({ params, query, request }) =>
        ok(request, await historyIn(db, parseId(params.id), parseId(query.sessionId)), "Attendance history"),
      { query: t.Object({ sessionId: IdSchema("session ID") }, { additionalProperties: false }) },
    )
    .post(
      "/api/v1/participants/:id/attendance/corrections",
      async ({ params, body, request, principal, set }) => {
        const id = parseId(params.id);
        const sessionId = parseId(body.sessionId);
        const correctionId = await correct(
          db,
          id,
          {
            sessionId,
            kind: body.kind,
            ...(body.at ? { at: new Date(body.at) } : {}),
            ...(body.eventId ? { eventId: parseId(body.eventId) } : {}),
            ...(body.note ? { note: body.note } : {}),
          },
          {
            instance: rt.config.instanceId,
            ...(principal ? { by: principal.name, byId: `${principal.kind}:${principal.id}` } : {}),
          },
        );
        const { sessions, totalCredits } = await attendanceOf(db, id);
        set.status = 201;
        return ok(
          request,
          {
            correctionId: String(correctionId),
            session: sessions.find((s) => s.sessionId === String(sessionId)) ?? null,
            totalCredits,
          },
          "Correction recorded",
        );
      },
      { body: Correction },
    );
}

/** Certificates (admins, or the person through a signed link) and their public verification. */
function certificateRoutes(rt: Runtime, settings: Settings) {
  const db = rt.mongo.db;
  const certificates = createCertificates(db, () => settings.get().eventName);

  const shown = async (request: Request, doc: CertificateDoc): Promise<ShownCertificate> => {
    const verifyUrl = `${siteOf(request)}${CERTIFICATE_PAGES.verify({ code: doc.code })}`;
    const qrSvg = await QRCode.toString(verifyUrl, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
    return { doc, verifyUrl, qrSvg };
  };
  const certificatePage = async (request: Request, id: ObjectId, withLink: boolean) => {
    const doc = await certificates.issue(id);
    const link = withLink
      ? `${siteOf(request)}${CERTIFICATE_PAGES.signed({ id: String(id), key: await certificates.linkKey(id) })}`
      : undefined;
    const certificate = await shown(request, doc);
    return html(request, () => (
      <CertificatesPage
        title={tAttr("Certificate of attendance")}
        certificates={[certificate]}
        {...(link ? { link } : { signedOut: true })}
      />
    ));
  };

  return (
    new Elysia({ name: "certificates" })
      .get(CERTIFICATE_PAGES.one.pattern, ({ params, request }) =>
        certificatePage(request, parseId(params.id), true),
      )
      // The link an admin sends the person: public, good only with the key made for that person.
      .get(CERTIFICATE_PAGES.signed.pattern, async ({ params, request }) => {
        const id = parseId(params.id);
        if (!(await certificates.linkKeyMatches(id, params.key)))
          throw notFound("This certificate link is not valid: ask the organisers for a new one");
        return certificatePage(request, id, false);
      })
      .get(
        CERTIFICATE_PAGES.list.pattern,
        async ({ query, request }) => {
          const sessions = await sessionsOf(db).find({ day: query.day }).toArray();
          const people = new Set<string>();
          for (const byPerson of (await attendanceBySession(db, sessions)).values())
            for (const [person, figures] of byPerson) if (figures.credited) people.add(person);
          const docs = await certificates.issueMany([...people].map(parseId));
          docs.sort((a, b) => a.name.localeCompare(b.name));
          const shownAll = await Promise.all(docs.map((doc) => shown(request, doc)));
          return html(request, () => (
            <CertificatesPage
              title={tAttr("Certificates of day {day}", { day: query.day })}
              certificates={shownAll}
            />
          ));
        },
        {
          query: t.Object({ day: t.Numeric({ minimum: 1, maximum: 366 }) }, { additionalProperties: false }),
        },
      )
      .get(CERTIFICATE_PAGES.verify.pattern, async ({ params, request, set }) => {
        const result = await certificates.verify(params.code);
        if (result.status === "unknown") set.status = 404;
        return html(request, () => <VerifyPage result={result} />, result.status === "unknown" ? 404 : 200);
      })
  );
}

export const attendanceRoutes = (rt: Runtime, settings: Settings) =>
  new Elysia({ name: "attendance" })
    .use(attendanceApi(rt))
    .use(certificateRoutes(rt, settings))
    .use(attendancePage(rt));
