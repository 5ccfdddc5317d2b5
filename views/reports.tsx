import { formatNumber } from "../src/i18n/locale";
import type { SessionReport, totals } from "../src/reports/attendance";
import { REPORTS } from "../src/reports/paths";
import { reader, t, tAttr } from "../src/web/reader";
import { fmtDateTime, zoneName } from "./components";

/** A count or a rate as the page's language writes it. */
const num = (n: number) => formatNumber(reader().locale, n);

import { Layout } from "./layout";

interface Props {
  reports: SessionReport[];
  all: ReturnType<typeof totals>;
  series: [Date, number][];
  filters: { day?: number; room?: string; days: number[]; rooms: string[] };
}

/** Check-ins per 15 minutes as SVG bars (no client-side charting). */
function OverTime(props: { series: [Date, number][] }) {
  const width = 640;
  const height = 150;
  const top = Math.max(1, ...props.series.map(([, n]) => n));
  const bar = props.series.length === 0 ? 0 : (width - 20) / props.series.length;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={tAttr("Check-ins per 15 minutes")}>
        {props.series.map(([at, n], i) => {
          const h = Math.round((n / top) * (height - 30));
          return (
            <rect
              x={String(10 + i * bar)}
              y={String(height - 20 - h)}
              width={String(Math.max(1, bar - 2))}
              height={String(h)}
              class="bar-rect"
            >
              <title safe>{`${fmtDateTime(at)}: ${n}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>{t("Check-ins per 15 minutes ({zone})", { zone: zoneName() })}</figcaption>
    </figure>
  );
}

export function ReportsPage(props: Props) {
  const { all, filters } = props;
  const query = new URLSearchParams({
    ...(filters.day ? { day: String(filters.day) } : {}),
    ...(filters.room ? { room: filters.room } : {}),
  }).toString();
  return (
    <Layout title={tAttr("Attendance report")}>
      <h1>{t("Attendance")}</h1>
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
      </form>
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
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
