import type { AlignedData } from "uplot";
import type { BeatBucket } from "../../api/types";
import { LEGEND } from "../../api/types";

export interface ChartSeries {
  /** Outcome names present, in legend order. */
  names: string[];
  /** Names from the top of the stack down: drawn in this order so each bar shows its share. */
  stackedNames: string[];
  stacked: AlignedData;
  tokens: AlignedData;
  latency: AlignedData;
}

/** uPlot's columns from the buckets: x in seconds; outcomes as cumulative sums (a stack). */
export function chartSeries(buckets: BeatBucket[]): ChartSeries {
  const xs = buckets.map((b) => new Date(b.start).getTime() / 1000);
  const present = new Set(buckets.flatMap((b) => Object.keys(b.outcomes)));
  const names = [...LEGEND.filter((n) => present.has(n)), ...[...present].filter((n) => !LEGEND.includes(n))];
  const cumulative: number[][] = [];
  let running = buckets.map(() => 0);
  for (const name of names) {
    running = running.map((sum, i) => sum + (buckets[i]!.outcomes[name] ?? 0));
    cumulative.push(running);
  }
  return {
    names,
    stackedNames: [...names].reverse(),
    stacked: [xs, ...[...cumulative].reverse()] as AlignedData,
    tokens: [xs, buckets.map((b) => b.tokens)] as AlignedData,
    latency: [xs, buckets.map((b) => b.avg_ms), buckets.map((b) => b.max_ms)] as AlignedData,
  };
}
