import { useEffect, useRef } from "react";
import uPlot from "uplot";
import type { AlignedData, Options } from "uplot";
import "uplot/dist/uPlot.min.css";
import type { BeatBucket } from "../../api/types";
import { formatCount, formatMs, formatTime } from "../../lib/format";
import { chartSeries } from "./chartData";

/** The colour of `name` from the stylesheet (so dark mode changes the charts too). */
function cssColour(name: string, fallback: string): string {
  if (typeof getComputedStyle !== "function") {
    return fallback;
  }
  const value = getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  return value || fallback;
}

interface PlotProps {
  /** The time axis from and to, seconds since the epoch. */
  span: [number, number];
  title: string;
  data: AlignedData;
  series: Options["series"];
  yLabel: string;
  bars?: boolean;
  testId: string;
}

/** One uPlot chart with a time axis, sized to its box; nothing drawn where canvas is missing. */
function Plot({ span, title, data, series, yLabel, bars = false, testId }: PlotProps) {
  const box = useRef<HTMLDivElement | null>(null);
  useEffect(() => {
    const element = box.current;
    if (element === null || typeof ResizeObserver === "undefined") {
      return undefined;
    }
    const ink = cssColour("ink", "#1d2733");
    const grid = cssColour("line", "#d8dde4");
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const paths = bars ? uPlot.paths.bars?.({ size: [0.8, 40], align: 0 }) : undefined;
    const options: Options = {
      width: Math.max(280, element.clientWidth),
      height: 220,
      series: (series ?? []).map((s, i) => (i === 0 || !paths ? s : { ...s, paths })),
      axes: [axis, { ...axis, label: yLabel, size: 60 }],
      scales: { x: { time: true, range: () => span } },
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    let plot: uPlot | null = null;
    try {
      plot = new uPlot(options, data, element);
    } catch {
      return undefined; // no canvas (a test DOM): the table below still says everything
    }
    const observer = new ResizeObserver(() => {
      plot?.setSize({ width: Math.max(280, element.clientWidth), height: 220 });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot?.destroy();
    };
  }, [data, series, yLabel, bars, span]);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" role="img" aria-label={`${title}; the table below has the numbers`} />
    </figure>
  );
}

/** The x range in seconds: the searched range, else the beats' own, with one bucket of room
 * on each side so a lone bar is not stretched over years. */
export function timeSpan(buckets: BeatBucket[], bucket: "hour" | "day", since: number | null, until: number | null): [number, number] {
  const width = bucket === "hour" ? 3600 : 86400;
  const starts = buckets.map((b) => new Date(b.start).getTime() / 1000);
  const first = since !== null ? since / 1000 : Math.min(...starts) - width;
  const last = until !== null ? until / 1000 : Math.max(...starts) + width;
  return [Math.min(first, Math.min(...starts) - width / 2), Math.max(last, Math.max(...starts) + width)];
}

/** Outcomes stacked per bucket, tokens per bucket and model latency, over a time axis; each
 * with its numbers in a table for screen readers and for copying. */
export function Charts({
  buckets,
  bucket,
  since,
  until,
}: {
  buckets: BeatBucket[];
  bucket: "hour" | "day";
  /** The searched range (ms since the epoch); open ends follow the beats. */
  since: number | null;
  until: number | null;
}) {
  const data = chartSeries(buckets);
  const span = timeSpan(buckets, bucket, since, until);
  if (buckets.length === 0) {
    return <p className="muted">No beats in this range.</p>;
  }
  const unit = bucket === "hour" ? "per hour" : "per day";
  const outcomeSeries: Options["series"] = [
    {},
    ...data.stackedNames.map((name) => ({
      label: name,
      stroke: cssColour(name, "#888"),
      fill: cssColour(name, "#888"),
      width: 0,
    })),
  ];
  return (
    <div className="charts">
      <Plot
        span={span}
        title={`Beats ${unit}, stacked by outcome`}
        data={data.stacked}
        series={outcomeSeries}
        yLabel="beats"
        bars
        testId="chart-outcomes"
      />
      <Plot
        span={span}
        title={`Tokens ${unit}`}
        data={data.tokens}
        series={[{}, { label: "tokens", stroke: cssColour("sent", "#2f5fd0"), fill: cssColour("sent", "#2f5fd0") }]}
        yLabel="tokens"
        bars
        testId="chart-tokens"
      />
      <Plot
        span={span}
        title={`Model latency ${unit} (beats that reached the model)`}
        data={data.latency}
        series={[
          {},
          { label: "average ms", stroke: cssColour("ok-token", "#2e9e5b"), width: 2 },
          { label: "max ms", stroke: cssColour("failed", "#c9342b"), width: 1, dash: [4, 4] },
        ]}
        yLabel="ms"
        testId="chart-latency"
      />
      <details className="chart-table">
        <summary>The numbers behind the charts</summary>
        <div className="table-wrap">
          <table data-testid="chart-numbers">
            <thead>
              <tr>
                <th scope="col">From</th>
                {data.names.map((name) => (
                  <th scope="col" key={name} className="num">
                    {name}
                  </th>
                ))}
                <th scope="col" className="num">tokens</th>
                <th scope="col" className="num">avg latency</th>
                <th scope="col" className="num">max latency</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr key={b.start}>
                  <td>{formatTime(b.start)}</td>
                  {data.names.map((name) => (
                    <td key={name} className="num">
                      {formatCount(b.outcomes[name] ?? 0)}
                    </td>
                  ))}
                  <td className="num">{formatCount(b.tokens)}</td>
                  <td className="num">{formatMs(b.avg_ms)}</td>
                  <td className="num">{formatMs(b.max_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

