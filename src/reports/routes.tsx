import { Elysia, t } from "elysia";
import type { Filter } from "mongodb";
import { ReportsPage } from "../../views/reports";
import { checkinsOf } from "../checkin/repo";
import { toCsv } from "../imports/csv";
import { registrationsOf } from "../registrations/repo";
import type { Runtime } from "../runtime";
import { type SessionDoc, sessionsOf } from "../sessions/repo";
import { csvResponse, html } from "../web/html";
import { overTime, type SessionFacts, sessionReport, totals } from "./attendance";

const Filters = t.Object({
  day: t.Optional(t.Union([t.Literal(""), t.Numeric({ minimum: 1, maximum: 366 })])),
  room: t.Optional(t.String({ maxLength: 200 })),
});

export function reportRoutes(rt: Runtime) {
  const db = rt.mongo.db;

  /** Three queries in all, whatever the number of sessions (FerretDB scans tables). */
  async function build(day?: number, room?: string) {
    const filter: Filter<SessionDoc> = {};
    if (day) filter.day = day;
    if (room) filter.location = room;
    const [sessions, everything] = await Promise.all([
      sessionsOf(db).find(filter).sort({ startTime: 1 }).toArray(),
      sessionsOf(db)
        .find({}, { projection: { day: 1, location: 1 } })
        .toArray(),
    ]);
    const ids = sessions.map((s) => s._id);
    const [regs, checkins] = await Promise.all([
      registrationsOf(db)
        .find({ sessionId: { $in: ids }, status: "confirmed" })
        .toArray(),
      checkinsOf(db)
        .find({ sessionId: { $in: ids } })
        .toArray(),
    ]);
    const facts: SessionFacts[] = sessions.map((s) => ({
      id: String(s._id),
      name: s.name,
      day: s.day,
      location: s.location ?? "",
      capacity: s.capacity,
      registered: new Set(
        regs.filter((r) => String(r.sessionId) === String(s._id)).map((r) => String(r.participantId)),
      ),
      checkIns: checkins
        .filter((c) => String(c.sessionId) === String(s._id))
        .map((c) => ({
          participantId: String(c.participantId),
          at: c.checkInTime,
          leftAt: c.checkedOutAt,
          isLate: c.isLate,
        })),
    }));
    const reports = facts.map(sessionReport);
    return {
      reports,
      all: totals(reports),
      series: overTime(facts.flatMap((f) => f.checkIns)),
      filters: {
        ...(day ? { day } : {}),
        ...(room ? { room } : {}),
        days: [...new Set(everything.map((s) => s.day))].sort((x, y) => x - y),
        rooms: [...new Set(everything.map((s) => s.location ?? "").filter(Boolean))].sort(),
      },
    };
  }

  const day = (value: number | "" | undefined) => (value === "" || value === undefined ? undefined : value);
  return new Elysia({ name: "reports" })
    .get(
      "/reports",
      async ({ query }) => html(<ReportsPage {...(await build(day(query.day), query.room || undefined))} />),
      {
        query: Filters,
      },
    )
    .get(
      "/api/v1/reports/attendance.csv",
      async ({ query }) => {
        const { reports } = await build(day(query.day), query.room || undefined);
        return csvResponse(
          toCsv(reports as unknown as Record<string, unknown>[], [
            "name",
            "day",
            "location",
            "capacity",
            "registered",
            "attended",
            "walkIns",
            "noShows",
            "late",
            "latePercent",
            "attendanceRate",
            "peakInside",
          ]),
          "attendance.csv",
        );
      },
      { query: Filters },
    );
}
