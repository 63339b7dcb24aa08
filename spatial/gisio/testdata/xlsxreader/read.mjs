// Reads an .xlsx workbook with exceljs and prints, as JSON, for each sheet: its name, frozen
// panes, auto-filter, merged ranges, column widths and every non-empty cell with its type
// (number, string, date, boolean …), value (dates as YYYY-MM-DD) and number format.
//
// Usage: node read.mjs book.xlsx
import ExcelJS from 'exceljs';

const types = Object.fromEntries(Object.entries(ExcelJS.ValueType).map(([k, v]) => [v, k.toLowerCase()]));

const wb = new ExcelJS.Workbook();
await wb.xlsx.readFile(process.argv[2]);
const sheets = [];
wb.eachSheet((ws) => {
  const rows = [];
  ws.eachRow({ includeEmpty: true }, (row, r) => {
    const cells = [];
    row.eachCell({ includeEmpty: false }, (cell) => {
      let value = cell.value;
      if (value instanceof Date) value = value.toISOString().slice(0, 10);
      else if (value && typeof value === 'object' && 'richText' in value) value = value.richText.map((t) => t.text).join('');
      cells.push({ ref: cell.address, col: cell.col, type: types[cell.type], value, numFmt: cell.numFmt ?? null });
    });
    rows.push({ row: r, cells });
  });
  const widths = [];
  for (let c = 1; c <= ws.columnCount; c++) widths.push(ws.getColumn(c).width ?? null);
  sheets.push({
    name: ws.name,
    views: ws.views.map((v) => ({ state: v.state, xSplit: v.xSplit ?? 0, ySplit: v.ySplit ?? 0, topLeftCell: v.topLeftCell ?? null })),
    autoFilter: ws.autoFilter ?? null,
    merges: ws.model.merges ?? [],
    rowCount: ws.rowCount,
    widths,
    rows,
  });
});
process.stdout.write(JSON.stringify({ sheets }));
