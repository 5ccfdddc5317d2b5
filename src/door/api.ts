import { Elysia, t } from "elysia";
import { participantFor } from "../auth/plugin";
import type { Method } from "../checkin/repo";
import { ok, parseId } from "../http/envelope";
import { notFound } from "../http/errors";
import { IdSchema } from "../http/query";
import { phrase } from "../i18n/locale";
import { admittedResponse } from "./answers";
import { type DoorContext, doorContext } from "./context";
import { LeaseId } from "./leases";
import { OFFLINE_REASONS, offlineScan } from "./offline";
import { attemptJson, capacityInfo, exitJson, scanJson, verification } from "./present";
import { EXIT_TEXT, REASONS, reasonText } from "./reasons";
import type { ScanResult } from "./scan";
import type { CheckinService } from "./service";

// The door's JSON routes, as the existing clients (the mobile scanner, kiosks, k6) call
// them: the one-call scan (entries and exits, queued offline scans), verify, accept
// anyway, check in by badge or by person, decline. Each resolves the same door context
// as the door page (context.ts): who, which session, the nonce, the device.

const Id = IdSchema();
const Name = t.String({ maxLength: 200 });
const Note = t.String({ maxLength: 500 });
const Code = t.String({ minLength: 1, maxLength: 64 });
const Nonce = t.String({ minLength: 8, maxLength: 128 });
const strict = { additionalProperties: false } as const;

/** A check-in by participant id (accept anyway, manual, from a search). */
const ByIdBody = t.Object(
  {
    participantId: Id,
    sessionId: Id,
    checkedInBy: t.Optional(Name),
    acceptedBy: t.Optional(Name),
    notes: t.Optional(Note),
    nonce: t.Optional(Nonce),
    method: t.Optional(t.Union([t.Literal("qr"), t.Literal("manual"), t.Literal("search")])),
  },
  strict,
);

const ByQrBody = t.Object(
  {
    qrCode: Code,
    sessionId: Id,
    checkedInBy: t.Optional(Name),
    acceptedBy: t.Optional(Name),
    device: t.Optional(Name),
    nonce: t.Optional(Nonce),
  },
  strict,
);

const ScanBody = t.Object(
  {
    qrCode: Code,
    sessionId: Id,
    acceptUnregistered: t.Optional(t.Boolean()),
    by: t.Optional(Name),
    device: t.Optional(Name),
    nonce: t.Optional(Nonce),
    direction: t.Optional(t.Union([t.Literal("entry"), t.Literal("exit")])),
    scannedAt: t.Optional(t.String({ format: "date-time" })),
    provisional: t.Optional(t.Union([...Object.keys(REASONS), ...OFFLINE_REASONS].map((r) => t.Literal(r)))),
    /** The door's seat lease: what it admitted offline against it takes its seats first. */
    lease: t.Optional(LeaseId),
  },
  strict,
);

const DeclineBody = t.Object(
  { participantId: Id, sessionId: Id, declinedBy: t.Optional(Name), reason: t.Optional(Note) },
  strict,
);

type Admitted = "Participant accepted and checked in" | "Check-in successful";
type Answering = { request: Request; door: DoorContext; set: { status?: number | string } };

/** An admission answered as the contract's clients expect: the check-in, 201. */
function admitted({ request, set }: Answering, result: ScanResult, message: Admitted) {
  const response = admittedResponse(request, result, message);
  set.status = 201;
  return response;
}

/** By participant id: "accept anyway" (method qr) and the manual check-in, one path. */
async function checkInById(
  svc: CheckinService,
  ctx: Answering & { body: Omit<typeof ByIdBody.static, "method"> & { method?: Method } },
  defaultMethod: Method,
  message: Admitted,
) {
  const { body, door } = ctx;
  const staff = door.labelled(body.checkedInBy ?? body.acceptedBy);
  const result = await svc.scan({
    sessionId: parseId(body.sessionId),
    participant: { participantId: parseId(body.participantId) },
    method: body.method ?? defaultMethod,
    acceptUnregistered: true,
    by: staff.by,
    byId: staff.byId,
    notes: body.notes,
    nonce: door.nonce,
  });
  if (result.verdict.reason === "unknown_code")
    throw notFound(phrase("Participant with ID {id} not found", { id: body.participantId }));
  return admitted(ctx, result, message);
}

/** Check-ins by badge or by participant id: verify, accept anyway, check in. */
function admitRoutes(svc: CheckinService) {
  return new Elysia({ name: "door-api-admit", prefix: "/api/v1" })
    .use(doorContext)
    .post(
      "/checkin/verify-qr",
      async ({ body, request }) => {
        const result = await svc.preview({
          sessionId: parseId(body.sessionId),
          participant: { qrCode: body.qrCode },
          method: "qr",
          acceptUnregistered: false,
        });
        if (!result.participant) throw notFound("Participant with this QR code not found");
        const data = verification(result);
        return ok(
          request,
          { ...data, participant: data.participant && participantFor(request, data.participant) },
          "QR code verified",
        );
      },
      { body: t.Object({ qrCode: Code, sessionId: Id }, strict), door: true },
    )
    .post("/checkin/accept", (ctx) => checkInById(svc, ctx, "qr", "Participant accepted and checked in"), {
      body: t.Omit(ByIdBody, ["method"]),
      door: true,
    })
    .post(
      "/checkin/qr",
      ({ body, request, door, set }) =>
        svc.inTime(async () => {
          const staff = door.labelled(body.checkedInBy ?? body.acceptedBy);
          const result = await svc.scan({
            sessionId: parseId(body.sessionId),
            participant: { qrCode: body.qrCode },
            method: "qr",
            acceptUnregistered: true,
            by: staff.by,
            byId: staff.byId,
            device: body.device,
            nonce: door.nonce,
          });
          return admitted({ request, door, set }, result, "Check-in successful");
        }),
      { body: ByQrBody, door: true },
    )
    .post("/checkin", (ctx) => checkInById(svc, ctx, "manual", "Check-in successful"), {
      body: ByIdBody,
      door: true,
    });
}

/** What a door decides: the one-call scan (entries and exits) and a decline. */
function doorRoutes(svc: CheckinService) {
  return new Elysia({ name: "door-api-scan", prefix: "/api/v1" })
    .use(doorContext)
    .post(
      "/checkin/decline",
      async ({ body, request, door }) => {
        const staff = door.labelled(body.declinedBy);
        const { entry, session, participant } = await svc.decline({
          sessionId: parseId(body.sessionId),
          participantId: parseId(body.participantId),
          by: staff.by,
          byId: staff.byId,
          reason: body.reason,
        });
        return ok(request, attemptJson(entry), "Check-in declined", {
          participant: participantFor(request, {
            _id: participant._id,
            name: participant.name,
            email: participant.email,
          }),
          session: { _id: session._id, name: session.name },
        });
      },
      { body: DeclineBody, door: true },
    )
    .post(
      "/scan",
      ({ body, request, door }) =>
        svc.inTime(async () => {
          const staff = door.labelled(body.by);
          const offline = offlineScan(body);
          const scan = {
            sessionId: parseId(body.sessionId),
            participant: { qrCode: body.qrCode },
            by: staff.by,
            byId: staff.byId,
            device: body.device,
            nonce: door.nonce,
          };
          if (body.direction === "exit") {
            const left = await svc.exit({ ...scan, scannedAt: offline?.scannedAt });
            return ok(request, exitJson(request, left), EXIT_TEXT[left.outcome]);
          }
          const result = await svc.scan({
            ...scan,
            method: "qr",
            acceptUnregistered: body.acceptUnregistered ?? false,
            offline,
            lease: body.lease,
          });
          return ok(request, scanJson(request, result), reasonText(result.verdict, result.session), {
            capacityInfo: capacityInfo(result.session, result.count),
          });
        }),
      { body: ScanBody, door: true },
    );
}

/** The door's JSON API. */
export function doorApi(svc: CheckinService) {
  return new Elysia({ name: "door-api" }).use(admitRoutes(svc)).use(doorRoutes(svc));
}
