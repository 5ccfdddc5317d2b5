import { Elysia, t } from "elysia";
import { type Db, type Filter, ObjectId } from "mongodb";
import { ReportsPage } from "../../views/reports";
import { attendanceBySession } from "../attendance/history";
import { recordExport } from "../audit/log";
import { checkinsOf } from "../checkin/repo";
import type { Text } from "../i18n/locale";
import { toCsv } from "../imports/csv";
import { participantsOf } from "../participants/repo";
import { eachRoster, idsWith, ofSessions } from "../registrations/rosters";
import type { Runtime } from "../runtime";
import { type SessionDoc, sessionsOf } from "../sessions/repo";
import { startOfEventHour } from "../time/zone";
import { csvResponse, html } from "../web/html";
import { localeOf } from "../web/reader";
import {
  creditFigures,
  type HeatMap,
  overTime,
  peakByHour,
  type SessionFacts,
  sessionReport,
  totals,
} from "./attendance";
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
  const minutes = await attendanceBySession(db, sessions);
  const reports = [...facts.values()].map((f) =>
    sessionReport(f, creditFigures(minutes.get(f.id)?.values() ?? [])),
  );
  return {
    reports,
    all: totals(reports),
    series: overTime([...facts.values()].flatMap((f) => f.checkIns)),
    heat: heatMap(sessions, facts),
    minutes,
    sessionsShown: sessions,
    filters: {
      ...(day ? { day } : {}),
      ...(room ? { room } : {}),
      days: [...new Set(everything.map((s) => s.day))].sort((x, y) => x - y),
      rooms: [...new Set(everything.map((s) => s.location ?? "").filter(Boolean))].sort(),
    },
  };
}

/** Per room and hour of the event's clock, how full its session was at its fullest (a share of capacity, or a count). */
function heatMap(sessions: SessionDoc[], facts: Map<string, SessionFacts>): HeatMap {
  const hourStart = (at: Date) => startOfEventHour(at).getTime();
  const cells = new Map<string, Map<number, { peak: number; capacity: number }>>();
  for (const s of sessions) {
    const room = s.location || "—";
    const row = cells.get(room) ?? new Map<number, { peak: number; capacity: number }>();
    cells.set(room, row);
    const peaks = peakByHour(
      facts.get(String(s._id))?.checkIns ?? [],
      { start: s.startTime, end: s.endTime },
      hourStart,
    );
    for (const [hour, peak] of peaks) {
      const before = row.get(hour);
      const share = (p: number, c: number) => (c > 0 ? p / c : p);
      if (!before || share(peak, s.capacity) > share(before.peak, before.capacity))
        row.set(hour, { peak, capacity: s.capacity });
    }
  }
  const hours = [...new Set([...cells.values()].flatMap((row) => [...row.keys()]))].sort((a, b) => a - b);
  return {
    hours: hours.map((h) => new Date(h)),
    rooms: [...cells.keys()].sort().map((room) => ({
      room,
      cells: hours.map((h) => cells.get(room)?.get(h) ?? null),
    })),
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
              "credited",
              "creditsAwarded",
              "averageMinutes",
            ] satisfies Text[],
            localeOf(request),
          ),
          "attendance.csv",
        );
      },
      { query: Filters },
    )
    .get(
      REPORTS.creditsCsv.pattern,
      async ({ query, request }) => {
        const { sessionsShown, minutes } = await buildReport(db, day(query.day), query.room || undefined);
        const people = new Map(
          (
            await participantsOf(db)
              .find(
                {
                  _id: {
                    $in: [...new Set([...minutes.values()].flatMap((m) => [...m.keys()]))].map(
                      (id) => new ObjectId(id),
                    ),
                  },
                },
                { projection: { name: 1, organization: 1 } },
              )
              .toArray()
          ).map((p) => [String(p._id), p]),
        );
        const rows = sessionsShown.flatMap((s) =>
          [...(minutes.get(String(s._id)) ?? [])].map(([person, figures]) => ({
            name: people.get(person)?.name,
            organization: people.get(person)?.organization,
            session: s.name,
            day: s.day,
            minutes: figures.minutes,
            percent: figures.percent,
            credited: figures.credited,
            credits: figures.credits,
          })),
        );
        await recordExport(db, request, "minutes and credits per person", rows.length);
        return csvResponse(
          toCsv(
            rows,
            [
              "name",
              "organization",
              "session",
              "day",
              "minutes",
              "percent",
              "credited",
              "credits",
            ] satisfies Text[],
            localeOf(request),
          ),
          "credits.csv",
        );
      },
      { query: Filters },
    );
}
