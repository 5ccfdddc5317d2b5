import { MongoClient, ObjectId } from "mongodb";
import { generateQrCode } from "../../src/checkin/qr";
import type { ParticipantDoc } from "../../src/participants/repo";
import type { RegistrationDoc } from "../../src/registrations/repo";
import type { SessionDoc } from "../../src/sessions/repo";
import { stackEnv } from "./env";

/** Direct access to a test database on the real MongoDB-wire server, for seeding and for checking invariants. */
export async function openDb(dbName: string) {
  const client = new MongoClient(stackEnv().MONGODB_URI);
  await client.connect();
  return { client, db: client.db(dbName) };
}

export function sessionDoc(patch: Partial<SessionDoc> = {}): SessionDoc {
  const now = new Date();
  return {
    _id: new ObjectId(),
    name: "Test session",
    location: "Room A",
    day: 1,
    startTime: new Date(now.getTime() - 5 * 60_000),
    endTime: new Date(now.getTime() + 60 * 60_000),
    capacity: 0,
    capacityEnforced: true,
    requiresRegistration: false,
    status: "open",
    isOpen: true,
    lateThresholdMinutes: null,
    autoOpenMinutesBefore: null,
    autoEndGraceMinutes: null,
    createdAt: now,
    updatedAt: now,
    __v: 0,
    ...patch,
  };
}

export function participantDoc(i: number, patch: Partial<ParticipantDoc> = {}): ParticipantDoc {
  const now = new Date();
  return {
    _id: new ObjectId(),
    name: `Participant ${i}`,
    email: `p${i}-${Math.random().toString(36).slice(2, 8)}@example.org`,
    organization: "Test Org",
    qrCode: generateQrCode(),
    isActive: true,
    status: "regular",
    ambassadorPoints: 0,
    referredParticipantIds: [],
    travelGrantApplied: false,
    travelGrantApproved: null,
    createdAt: now,
    updatedAt: now,
    __v: 0,
    ...patch,
  };
}

export function registrationDoc(
  participantId: ObjectId,
  sessionId: ObjectId,
  status: RegistrationDoc["status"] = "confirmed",
): RegistrationDoc {
  const now = new Date();
  return {
    _id: new ObjectId(),
    participantId,
    sessionId,
    registrationDate: now,
    status,
    createdAt: now,
    updatedAt: now,
    __v: 0,
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers field by field
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
