import { Elysia, t } from "elysia";
import type { Db, Filter } from "mongodb";
import { ReportsPage } from "../../views/reports";
import { checkinsOf } from "../checkin/repo";
import type { Text } from "../i18n/locale";
import { toCsv } from "../imports/csv";
import { eachRoster, idsWith, ofSessions } from "../registrations/rosters";
import type { Runtime } from "../runtime";
import { type SessionDoc, sessionsOf } from "../sessions/repo";
import { csvResponse, html } from "../web/html";
import { localeOf } from "../web/reader";
import { overTime, type SessionFacts, sessionReport, totals } from "./attendance";
import { REPORTS } from "./paths";

const Filters = t.Object({
  day: t.Optional(t.Union([t.Literal(""), t.Numeric({ minimum: 1, maximum: 366 })])),
  room: t.Optional(t.String({ maxLength: 200 })),
});

/** The attendance report: a few queries in all, whatever the number of sessions (FerretDB scans tables). */
async function buildReport(db: Db, day?: number, room?: string) {
  const filter: Filter<SessionDoc> = {};
  if (day) filter.day = day;
  if (room) filter.location = room;
  const [sessions, everything] = await Promise.all([
    sessionsOf(db).find(filter).sort({ startTime: 1 }).toArray(),
    sessionsOf(db)
      .find({}, { projection: { day: 1, location: 1 } })
      .toArray(),
  ]);
  const all = sessions.length === everything.length;
  const ids = sessions.map((s) => s._id);
  const registered = new Map<string, Set<string>>();
  const [, checkins] = await Promise.all([
    // From the sessions' packed copies: a few hundred documents, not every registration.
    eachRoster(
      db,
      ids,
      async (sessionId, packed) => {
        registered.set(String(sessionId), new Set(idsWith(packed, "confirmed")));
      },
      all,
    ),
    checkinsOf(db)
      .find(ofSessions(ids, all), {
        projection: {
          sessionId: 1,
          participantId: 1,
          checkInTime: 1,
          checkedOutAt: 1,
          isLate: 1,
          movedTo: 1,
          _id: 0,
        },
      })
      .toArray(),
  ]);
  const facts = new Map<string, SessionFacts>(
    sessions.map((s) => [
      String(s._id),
      {
        id: String(s._id),
        name: s.name,
        day: s.day,
        location: s.location ?? "",
        capacity: s.capacity,
        registered: registered.get(String(s._id)) ?? new Set<string>(),
        checkIns: [],
      },
    ]),
  );
  for (const c of checkins) {
    facts.get(String(c.sessionId))?.checkIns.push({
      participantId: String(c.participantId),
      at: c.checkInTime,
      leftAt: c.checkedOutAt,
      isLate: c.isLate,
      moved: Boolean(c.movedTo),
    });
  }
  const reports = [...facts.values()].map(sessionReport);
  return {
    reports,
    all: totals(reports),
    series: overTime([...facts.values()].flatMap((f) => f.checkIns)),
    filters: {
      ...(day ? { day } : {}),
      ...(room ? { room } : {}),
      days: [...new Set(everything.map((s) => s.day))].sort((x, y) => x - y),
      rooms: [...new Set(everything.map((s) => s.location ?? "").filter(Boolean))].sort(),
    },
  };
}

export function reportRoutes(rt: Runtime) {
  const db = rt.mongo.db;
  const day = (value: number | "" | undefined) => (value === "" || value === undefined ? undefined : value);
  return new Elysia({ name: "reports" })
    .get(
      REPORTS.page.pattern,
      async ({ query, request }) => {
        const report = await buildReport(db, day(query.day), query.room || undefined);
        return html(request, () => <ReportsPage {...report} />);
      },
      {
        query: Filters,
      },
    )
    .get(
      REPORTS.attendanceCsv.pattern,
      async ({ query, request }) => {
        const { reports } = await buildReport(db, day(query.day), query.room || undefined);
        return csvResponse(
          toCsv(
            reports as unknown as Record<string, unknown>[],
            [
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
              "movedOn",
            ] satisfies Text[],
            localeOf(request),
          ),
          "attendance.csv",
        );
      },
      { query: Filters },
    );
}
