import type { ObjectId } from "mongodb";
import QRCode from "qrcode";
import type { Features } from "../features";
import { AppError } from "../http/errors";
import { phrase } from "../i18n/locale";
import { normaliseEmail, participantsOf } from "../participants/repo";
import { participantActions } from "../participants/service";
import type { Runtime } from "../runtime";
import type { ScanResult } from "./scan";

// A walk-in registered at the door: a participant with a new badge code, checked in at
// once by the same scan path as everyone else. The form's nonce makes a retried submit
// the same walk-in (the person is created once, admitted once).

export interface WalkIn {
  sessionId: ObjectId;
  name: string;
  email: string;
  organization?: string;
  nonce: string;
  by: string;
  byId: string;
  device?: string;
  /** The door device's seat lease (leases.ts). */
  lease?: string;
}

export function walkIns(rt: Runtime, features: Features) {
  const { door: svc, sessions } = features;
  const people = participantActions(rt, features);
  const db = rt.mongo.db;

  async function personFor(input: WalkIn) {
    // The same person's retry has the nonce and the e-mail; the nonce with another e-mail is
    // another request under a used key, refused before anyone is created.
    const again = await participantsOf(db).findOne({ walkInNonce: input.nonce });
    if (again && again.email !== normaliseEmail(input.email))
      throw new AppError(
        422,
        "This form was already sent for another person; reload the page for the next walk-in",
      );
    if (again) return again;
    try {
      return await people.create({
        name: input.name,
        email: input.email,
        ...(input.organization ? { organization: input.organization } : {}),
        walkInNonce: input.nonce,
      });
    } catch (error) {
      // The same submit racing itself: the one that got in is this walk-in.
      const raced = await participantsOf(db).findOne({
        walkInNonce: input.nonce,
        email: normaliseEmail(input.email),
      });
      if (raced) return raced;
      if (error instanceof AppError && error.status === 409)
        throw new AppError(
          409,
          phrase("{name} already has a badge: scan it, or find the person with the search", {
            name: input.email,
          }),
        );
      throw error;
    }
  }

  return {
    async register(input: WalkIn): Promise<{ result: ScanResult; qrSvg: string }> {
      const session = await sessions.require(input.sessionId);
      if (!session.walkIns)
        throw new AppError(
          403,
          "Walk-ins are not allowed for this session; an organiser can allow them on the session form",
        );
      const person = await personFor(input);
      const result = await svc.scan({
        sessionId: session._id,
        participant: { participantId: person._id },
        method: "manual",
        acceptUnregistered: true,
        by: input.by,
        byId: input.byId,
        device: input.device,
        nonce: input.nonce,
        lease: input.lease,
        notes: "walk-in",
      });
      const qrSvg = await QRCode.toString(person.qrCode, {
        type: "svg",
        margin: 1,
        errorCorrectionLevel: "M",
      });
      return { result, qrSvg };
    },
  };
}
