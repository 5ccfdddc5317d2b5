import { CERTIFICATE_PAGES } from "../src/attendance/paths";
import { formatNumber } from "../src/i18n/locale";
import type { HeatMap, SessionReport, totals } from "../src/reports/attendance";
import { REPORTS } from "../src/reports/paths";
import { withQuery } from "../src/web/paths";
import { mayOpen, reader, t, tAttr } from "../src/web/reader";
import { TimeChart } from "./charts";
import { fmtDateTime, fmtTime, zoneName } from "./components";

/** A count or a rate as the page's language writes it. */
const num = (n: number) => formatNumber(reader().locale, n);

import { Layout } from "./layout";

interface Props {
  reports: SessionReport[];
  all: ReturnType<typeof totals>;
  series: [Date, number][];
  heat: HeatMap;
  filters: { day?: number; room?: string; days: number[]; rooms: string[] };
}

/** Check-ins per 15 minutes across the sessions shown, on a time axis. */
function OverTime(props: { series: [Date, number][] }) {
  const first = props.series[0]?.[0];
  const last = props.series.at(-1)?.[0];
  if (!first || !last) return <p class="meta">{t("No check-ins yet.")}</p>;
  return (
    <TimeChart
      id="report-arrivals"
      title={tAttr("Check-ins per 15 minutes ({zone})", { zone: zoneName() })}
      start={first}
      end={new Date(last.getTime() + 15 * 60_000)}
      bucketMinutes={15}
      series={[{ kind: "bars", points: props.series, label: "Check-ins", class: "bars" }]}
    />
  );
}

/** How full each room was, hour by hour: a share of its capacity (or a count where there is none). */
function Heat(props: { heat: HeatMap }) {
  const { hours, rooms } = props.heat;
  if (hours.length === 0) return "";
  // Over several days an hour alone names several columns: the date goes with it.
  const severalDays = (hours.at(-1)?.getTime() ?? 0) - (hours[0]?.getTime() ?? 0) >= 20 * 3600_000;
  const label = (h: Date) => (severalDays ? fmtDateTime(h) : fmtTime(h));
  const level = (cell: { peak: number; capacity: number }) =>
    cell.capacity > 0 ? Math.min(4, Math.floor((cell.peak / cell.capacity) * 5)) : 0;
  return (
    <section class="heat">
      <h2>{t("How full each room was, by hour")}</h2>
      <div class="table-scroll" tabindex="0">
        <table class="heat-map">
          <thead>
            <tr>
              <th scope="col">{t("Room")}</th>
              {hours.map((h) => (
                <th scope="col" safe>
                  {label(h)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rooms.map((r) => (
              <tr>
                <th scope="row" safe>
                  {r.room}
                </th>
                {r.cells.map((cell) =>
                  cell === null ? (
                    <td class="heat-none"></td>
                  ) : (
                    <td class={`heat-${level(cell)}`} safe>
                      {cell.capacity > 0
                        ? `${num(Math.round((cell.peak / cell.capacity) * 100))} %`
                        : num(cell.peak)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="meta">
        {t(
          "Each cell: the fullest moment of the room's session in that hour, as a share of its capacity (a head count where there is none).",
        )}
      </p>
    </section>
  );
}

/** The day and room filters, with the downloads and certificates they select. */
function Filters(props: { filters: Props["filters"] }) {
  const { filters } = props;
  const query = new URLSearchParams({
    ...(filters.day ? { day: String(filters.day) } : {}),
    ...(filters.room ? { room: filters.room } : {}),
  }).toString();
  return (
    <form method="get" action={REPORTS.page()} class="filters">
      <label>
        {t("Day")}
        <select name="day">
          <option value="">{t("all")}</option>
          {filters.days.map((d) => (
            <option value={String(d)} selected={d === filters.day}>
              {t("day {day}", { day: d })}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("Room")}
        <select name="room">
          <option value="">{t("all")}</option>
          {filters.rooms.map((r) => (
            <option value={r} selected={r === filters.room} safe>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">{t("Filter")}</button>
      <a href={`${REPORTS.attendanceCsv()}${query ? `?${query}` : ""}`}>{t("Download CSV")}</a>
      {mayOpen(REPORTS.creditsCsv()) ? (
        <a href={`${REPORTS.creditsCsv()}${query ? `?${query}` : ""}`}>
          {t("Minutes and credits per person (CSV)")}
        </a>
      ) : (
        ""
      )}
      {filters.day && mayOpen(CERTIFICATE_PAGES.list()) ? (
        <a href={withQuery(CERTIFICATE_PAGES.list(), { day: filters.day })}>
          {t("Certificates of day {day}", { day: filters.day })}
        </a>
      ) : (
        ""
      )}
    </form>
  );
}

/** One row per session: who came, when, and what they earned. */
function SessionsTable(props: { reports: SessionReport[] }) {
  return (
    <table class="overview" tabindex="0">
      <thead>
        <tr>
          <th>{t("Session")}</th>
          <th>{t("Registered")}</th>
          <th>{t("Attended")}</th>
          <th>{t("Walk-ins")}</th>
          <th>{t("No-shows")}</th>
          <th>{t("Rate")}</th>
          <th>{t("Late")}</th>
          <th>{t("Peak inside")}</th>
          <th>{t("Moved on")}</th>
          <th>{t("Average minutes inside")}</th>
          <th>{t("Credited")}</th>
        </tr>
      </thead>
      <tbody>
        {props.reports.map((r) => (
          <tr>
            <td>
              <span safe>{r.name}</span>
              <div class="meta" safe>{`${tAttr("day {day}", { day: r.day })} · ${r.location}`}</div>
            </td>
            <td class="num" safe>
              {String(r.registered)}
            </td>
            <td class="num" safe>
              {String(r.attended)}
            </td>
            <td class="num" safe>
              {String(r.walkIns)}
            </td>
            <td class="num" safe>
              {String(r.noShows)}
            </td>
            <td class="num" safe>{`${num(r.attendanceRate)} %`}</td>
            <td class="num" safe>{`${num(r.latePercent)} %`}</td>
            <td class="num" safe>
              {r.capacity > 0 ? `${r.peakInside} / ${r.capacity}` : String(r.peakInside)}
            </td>
            <td class="num" safe>
              {String(r.movedOn)}
            </td>
            <td class="num" safe>
              {num(r.averageMinutes)}
            </td>
            <td class="num" safe>
              {r.creditsAwarded > 0
                ? `${num(r.credited)} · ${num(r.creditsAwarded)} ${tAttr("credits")}`
                : num(r.credited)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReportsPage(props: Props) {
  const { all, filters } = props;
  return (
    <Layout title={tAttr("Attendance report")}>
      <h1>{t("Attendance")}</h1>
      <Filters filters={filters} />
      <dl class="totals">
        <dt>{t("Registered")}</dt>
        <dd safe>{num(all.registered)}</dd>
        <dt>{t("Attended")}</dt>
        <dd safe>{num(all.attended)}</dd>
        <dt>{t("Walk-ins")}</dt>
        <dd safe>{num(all.walkIns)}</dd>
        <dt>{t("No-shows")}</dt>
        <dd safe>{num(all.noShows)}</dd>
        <dt>{t("Attendance")}</dt>
        <dd safe>{`${num(all.attendanceRate)} %`}</dd>
        <dt>{t("Late")}</dt>
        <dd safe>{`${num(all.latePercent)} %`}</dd>
      </dl>
      <OverTime series={props.series} />
      <Heat heat={props.heat} />
      <SessionsTable reports={props.reports} />
    </Layout>
  );
}
