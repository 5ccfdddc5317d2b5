import type { SessionReport, totals } from "../src/reports/attendance";
import { REPORTS } from "../src/reports/paths";
import { fmtDateTime, zoneName } from "./components";
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
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Check-ins per 15 minutes">
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
      <figcaption safe>{`Check-ins per 15 minutes (${zoneName()})`}</figcaption>
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
    <Layout title="Attendance report">
      <h1>Attendance</h1>
      <form method="get" action={REPORTS.page()} class="filters">
        <label>
          Day
          <select name="day">
            <option value="">all</option>
            {filters.days.map((d) => (
              <option value={String(d)} selected={d === filters.day} safe>{`day ${d}`}</option>
            ))}
          </select>
        </label>
        <label>
          Room
          <select name="room">
            <option value="">all</option>
            {filters.rooms.map((r) => (
              <option value={r} selected={r === filters.room} safe>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <a href={`${REPORTS.attendanceCsv()}${query ? `?${query}` : ""}`}>Download CSV</a>
      </form>
      <dl class="totals">
        <dt>Registered</dt>
        <dd safe>{String(all.registered)}</dd>
        <dt>Attended</dt>
        <dd safe>{String(all.attended)}</dd>
        <dt>Walk-ins</dt>
        <dd safe>{String(all.walkIns)}</dd>
        <dt>No-shows</dt>
        <dd safe>{String(all.noShows)}</dd>
        <dt>Attendance</dt>
        <dd safe>{`${all.attendanceRate}%`}</dd>
        <dt>Late</dt>
        <dd safe>{`${all.latePercent}%`}</dd>
      </dl>
      <OverTime series={props.series} />
      <table class="overview" tabindex="0">
        <thead>
          <tr>
            <th>Session</th>
            <th>Registered</th>
            <th>Attended</th>
            <th>Walk-ins</th>
            <th>No-shows</th>
            <th>Rate</th>
            <th>Late</th>
            <th>Peak inside</th>
          </tr>
        </thead>
        <tbody>
          {props.reports.map((r) => (
            <tr>
              <td>
                <span safe>{r.name}</span>
                <div class="meta" safe>{`day ${r.day} · ${r.location}`}</div>
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
              <td class="num" safe>{`${r.attendanceRate}%`}</td>
              <td class="num" safe>{`${r.latePercent}%`}</td>
              <td class="num" safe>
                {r.capacity > 0 ? `${r.peakInside} / ${r.capacity}` : String(r.peakInside)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
