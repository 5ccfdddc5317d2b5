import type { Text } from "../src/i18n/locale";
import { t, tAttr } from "../src/web/reader";
import { fmtNumber, fmtTime, zoneName } from "./components";

// Charts people can read, drawn on the server as SVG: a time axis on the event's clock with
// labelled ticks, a count axis with gridlines, a capacity line where there is one, and the
// figures themselves in a table under the chart (what a screen reader reads, and anyone
// who wants the numbers).

export interface Series {
  /** Bars (counts per bucket) or a step line (a level over time, e.g. people inside). */
  kind: "bars" | "step";
  points: [Date, number][];
  label: Text;
  class: string;
}

const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 36 };
const MINUTE = 60_000;
const TICK_STEPS = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720, 1440];

/** Ticks on round times of the event's clock (offsets are whole minutes), at most `max` of them. */
export function timeTicks(start: number, end: number, max = 7): number[] {
  const span = Math.max(end - start, MINUTE);
  const step = (TICK_STEPS.find((m) => span / (m * MINUTE) <= max) ?? 1440) * MINUTE;
  const first = Math.ceil(start / step) * step;
  const ticks: number[] = [];
  for (let at = first; at <= end; at += step) ticks.push(at);
  return ticks;
}

/** Round count ticks from 0 to at least `top`: 1, 2 or 5 times a power of ten apart. */
export function countTicks(top: number, max = 5): number[] {
  const ceiling = Math.max(1, top);
  const raw = ceiling / max;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v < ceiling + step; v += Math.max(1, step)) ticks.push(Math.round(v));
  return ticks;
}

interface ChartProps {
  id?: string;
  oob?: boolean;
  title: string;
  start: Date;
  end: Date;
  series: Series[];
  /** Bucket width of bar series, in minutes. */
  bucketMinutes?: number;
  capacity?: number;
}

/**
 * The chart twice, drawn for a phone and for a wide screen (CSS shows one): an SVG scales its
 * text with it, so one drawing cannot keep its labels readable at both sizes.
 */
export function TimeChart(props: ChartProps) {
  return (
    <figure id={props.id} class="chart" hx-swap-oob={props.oob ? "true" : undefined}>
      <figcaption safe>{props.title}</figcaption>
      <ChartSvg {...props} width={400} maxTicks={4} class="narrow" />
      <ChartSvg {...props} width={760} maxTicks={7} class="wide" />
      <FiguresTable series={props.series} />
    </figure>
  );
}

function ChartSvg(props: ChartProps & { width: number; maxTicks: number; class: string }) {
  const W = props.width;
  const start = props.start.getTime();
  const end = Math.max(props.end.getTime(), start + MINUTE);
  const values = props.series.flatMap((s) => s.points.map(([, n]) => n));
  const yTicks = countTicks(Math.max(...values, props.capacity ?? 0, 1));
  const top = yTicks.at(-1) ?? 1;
  const x = (at: number) => PAD.left + ((at - start) / (end - start)) * (W - PAD.left - PAD.right);
  const y = (n: number) => H - PAD.bottom - (n / top) * (H - PAD.top - PAD.bottom);
  const bucket = (props.bucketMinutes ?? 5) * MINUTE;
  const barWidth = Math.max(1, x(start + bucket) - x(start) - 1);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title} class={`time-chart ${props.class}`}>
      <Axes start={start} end={end} yTicks={yTicks} x={x} y={y} width={W} maxTicks={props.maxTicks} />
      {props.capacity && props.capacity > 0 ? (
        <g class="cap-line">
          <line
            x1={String(PAD.left)}
            x2={String(W - PAD.right)}
            y1={String(y(props.capacity))}
            y2={String(y(props.capacity))}
          />
          <text x={String(W - PAD.right)} y={String(y(props.capacity) + 14)} text-anchor="end" safe>
            {tAttr("Capacity {n}", { n: props.capacity })}
          </text>
        </g>
      ) : (
        ""
      )}
      {props.series.map((s) =>
        s.kind === "bars" ? (
          <g class={s.class}>
            {s.points
              .filter(([at]) => at.getTime() >= start && at.getTime() < end)
              .map(([at, n]) => (
                <rect
                  x={String(x(at.getTime()))}
                  y={String(y(n))}
                  width={String(barWidth)}
                  height={String(y(0) - y(n))}
                />
              ))}
          </g>
        ) : (
          <path class={s.class} d={stepPath(s.points, start, end, x, y)} />
        ),
      )}
    </svg>
  );
}

/** A level held until it changes, from the window's start (at 0) to its end. */
function stepPath(
  points: [Date, number][],
  start: number,
  end: number,
  x: (at: number) => number,
  y: (n: number) => number,
): string {
  let level = 0;
  let d = `M${x(start)},${y(0)}`;
  for (const [at, n] of points) {
    const when = Math.min(Math.max(at.getTime(), start), end);
    d += ` H${x(when)} V${y(n)}`;
    level = n;
  }
  return `${d} H${x(end)} V${y(level)}`;
}

/** One row per time any series has a point, one cell per series. */
function mergedRows(series: Series[]): [number, (number | null)[]][] {
  const times = [...new Set(series.flatMap((s) => s.points.map(([at]) => at.getTime())))].sort(
    (a, b) => a - b,
  );
  const lookup = series.map((s) => new Map(s.points.map(([at, n]) => [at.getTime(), n])));
  return times.map((at) => [at, lookup.map((m) => m.get(at) ?? null)]);
}

/** The count axis (gridlines, labels) and the time axis (ticks on the event's clock, its name). */
function Axes(props: {
  start: number;
  end: number;
  yTicks: number[];
  x: (at: number) => number;
  y: (n: number) => number;
  width: number;
  maxTicks: number;
}) {
  const { start, end, yTicks, x, y, width: W } = props;
  return (
    <>
      {yTicks.map((v) => (
        <g class="tick">
          <line
            x1={String(PAD.left)}
            x2={String(W - PAD.right)}
            y1={String(y(v))}
            y2={String(y(v))}
            class="grid"
          />
          <text x={String(PAD.left - 6)} y={String(y(v) + 4)} text-anchor="end" safe>
            {fmtNumber(v)}
          </text>
        </g>
      ))}
      {timeTicks(start, end, props.maxTicks)
        // A label at the very edge would be cut in half.
        .filter((at) => x(at) <= W - PAD.right - 16)
        .map((at) => (
          <g class="tick">
            <line
              x1={String(x(at))}
              x2={String(x(at))}
              y1={String(H - PAD.bottom)}
              y2={String(H - PAD.bottom + 4)}
              class="axis"
            />
            <text x={String(x(at))} y={String(H - PAD.bottom + 16)} text-anchor="middle" safe>
              {fmtTime(new Date(at))}
            </text>
          </g>
        ))}
      <line
        x1={String(PAD.left)}
        x2={String(W - PAD.right)}
        y1={String(H - PAD.bottom)}
        y2={String(H - PAD.bottom)}
        class="axis"
      />
      <text x={String(W - PAD.right)} y={String(H - 4)} text-anchor="end" class="axis-label" safe>
        {tAttr("Time ({zone})", { zone: zoneName() })}
      </text>
    </>
  );
}

/** The figures under the chart: one row per time, one column per series. */
function FiguresTable(props: { series: Series[] }) {
  return (
    <details class="chart-figures">
      <summary>{t("Figures")}</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("Time ({zone})", { zone: zoneName() })}</th>
            {props.series.map((s) => (
              <th scope="col">{t(s.label)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {mergedRows(props.series).map(([at, cells]) => (
            <tr>
              <th scope="row" safe>
                {fmtTime(new Date(at))}
              </th>
              {cells.map((n) => (
                <td class="num" safe>
                  {n === null ? "" : fmtNumber(n)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
