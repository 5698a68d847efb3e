import {
  Bar,
  BarChart,
  CartesianGrid,
  LabelList,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

/**
 * The report pages' bar chart (recharts; only report routes import this file, so recharts stays
 * out of every other page's JavaScript — quality.md P8). recharts draws in the browser after
 * hydration; the server sends the reserved space.
 *
 * Readable without colour: the series differ in fill pattern as well as colour (solid, diagonal
 * stripes, dots), the legend shows the patterns, and every chart sits above a table of exactly
 * its numbers. To a screen reader the chart is one image with a summary (the table is the way to
 * read the numbers), so the chart's own keyboard layer is off.
 */
export interface Series {
  key: string;
  label: string;
}

const FILLS = ["url(#pattern-solid)", "url(#pattern-stripes)", "url(#pattern-dots)"];

function Patterns() {
  return (
    <defs>
      <pattern id="pattern-solid" width="8" height="8" patternUnits="userSpaceOnUse">
        <rect width="8" height="8" fill="#003087" />
      </pattern>
      <pattern
        id="pattern-stripes"
        width="8"
        height="8"
        patternUnits="userSpaceOnUse"
        patternTransform="rotate(45)"
      >
        <rect width="8" height="8" fill="#ffffff" />
        <rect width="4" height="8" fill="#0072ce" />
      </pattern>
      <pattern id="pattern-dots" width="8" height="8" patternUnits="userSpaceOnUse">
        <rect width="8" height="8" fill="#ffffff" />
        <circle cx="4" cy="4" r="2.5" fill="#007f3b" />
      </pattern>
    </defs>
  );
}

export function ReportBarChart({
  rows,
  categoryKey,
  series,
  stacked = false,
  horizontal = false,
  summary,
  unit = "",
  valueLabels = false,
  height,
}: {
  rows: object[];
  /** the row field naming each bar (the x axis, or the y axis when horizontal) */
  categoryKey: string;
  series: Series[];
  stacked?: boolean;
  horizontal?: boolean;
  /** what the chart shows, for screen readers (they read the table for the numbers) */
  summary: string;
  unit?: string;
  /** print each bar's value on it (direct labels) */
  valueLabels?: boolean;
  height?: number;
}) {
  const chartHeight = height ?? (horizontal ? Math.max(160, 40 + rows.length * 28) : 320);
  return (
    <div role="img" aria-label={summary} className="w-full" style={{ height: chartHeight }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart
          data={rows}
          layout={horizontal ? "vertical" : "horizontal"}
          accessibilityLayer={false}
          margin={{
            top: valueLabels ? 24 : 8,
            right: valueLabels && horizontal ? 48 : 24,
            bottom: 8,
            left: 8,
          }}
        >
          <Patterns />
          <CartesianGrid strokeDasharray="3 3" stroke="#aeb7bd" />
          {horizontal ? (
            <>
              <XAxis type="number" allowDecimals={false} unit={unit} stroke="#425563" />
              <YAxis
                type="category"
                dataKey={categoryKey as string}
                width={200}
                interval={0}
                stroke="#425563"
                tick={{ fontSize: 12 }}
              />
            </>
          ) : (
            <>
              <XAxis
                dataKey={categoryKey as string}
                stroke="#425563"
                tick={{ fontSize: 12 }}
                minTickGap={12}
              />
              <YAxis
                allowDecimals={unit !== ""}
                unit={unit}
                stroke="#425563"
                domain={unit === "%" ? [0, 100] : [0, "auto"]}
              />
            </>
          )}
          <Tooltip cursor={{ fill: "#e8edee" }} />
          <Legend wrapperStyle={{ color: "#212b32" }} />
          {series.map((item, index) => (
            <Bar
              key={item.key}
              dataKey={item.key}
              name={item.label}
              fill={FILLS[index % FILLS.length]}
              stroke="#212b32"
              strokeWidth={1}
              stackId={stacked ? "stack" : undefined}
              isAnimationActive={false}
              maxBarSize={72}
            >
              {valueLabels ? (
                <LabelList
                  dataKey={item.key}
                  position={horizontal ? "right" : "top"}
                  fill="#212b32"
                  fontSize={12}
                  formatter={(value: unknown) =>
                    value === null || value === undefined ? "" : `${String(value)}${unit}`
                  }
                />
              ) : null}
            </Bar>
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
