// The progress chart of the dashboard, drawn with ECharts (loaded on demand: only the bar chart,
// the grid, legend, tooltip and ARIA description, and the canvas renderer are bundled).
import { init, use } from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, GridComponent, LegendComponent, TooltipComponent, AriaComponent, CanvasRenderer]);

// The disposal states as the chart stacks them, closed first, with their colours.
export const chartStates = [
  { key: 'closed_off', label: '已销号', color: '#2e7d32' },
  { key: 'awaiting_check', label: '待核验', color: '#1565c0' },
  { key: 'in_progress', label: '处置中', color: '#f57c00' },
  { key: 'not_started', label: '未启动', color: '#9e9e9e' },
  { key: 'unset', label: '未填', color: '#cfd8dc' },
  { key: 'other', label: '其他', color: '#8d6e63' },
];

const fmt = (v) => (Math.round(v * 100) / 100).toLocaleString('zh-CN');

// drawProgress draws, per group of the report, the 亩 of its parcels stacked by disposal state,
// with the share closed off (已销号) at the end of each bar. It returns the chart.
export function drawProgress(dom, report, groupLabel) {
  const chart = init(dom, null, { renderer: 'canvas', locale: 'ZH' });
  const groups = report.groups || [];
  const names = groups.map((g) => g.key.map((k) => k || '（无）').join(' / '));
  const closedShare = groups.map((g) => (g.all.mu > 0 ? g.state.closed_off.mu / g.all.mu : 0));
  const states = chartStates.filter((s) => groups.some((g) => g.state[s.key]?.parcels > 0));
  chart.setOption({
    animation: false,
    aria: { enabled: true, label: { description: `各${groupLabel}地块面积（亩）按处置状态分段；条末为已销号面积占比。` } },
    color: states.map((s) => s.color),
    legend: { top: 0, data: states.map((s) => s.label) },
    tooltip: {
      trigger: 'axis', axisPointer: { type: 'shadow' },
      valueFormatter: (v) => `${fmt(v)} 亩`,
    },
    grid: { left: 8, right: 64, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'value', name: '亩', axisLabel: { formatter: (v) => v.toLocaleString('zh-CN') } },
    yAxis: { type: 'category', data: names, inverse: true },
    series: states.map((s, i) => ({
      name: s.label,
      type: 'bar',
      stack: 'state',
      barMaxWidth: 28,
      data: groups.map((g) => g.state[s.key]?.mu ?? 0),
      label: i === states.length - 1
        ? { show: true, position: 'right', color: '#24211d', formatter: ({ dataIndex }) => `销号 ${(closedShare[dataIndex] * 100).toFixed(1)}%` }
        : undefined,
    })),
  });
  return chart;
}
