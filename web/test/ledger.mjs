// Browser test of the ledger and the 台账/监测 view, run by api/web_ledger_browser_test.go:
//
//   node test/ledger.mjs INPUT.json
//
// With an editor's key entered in the key dialog it edits a parcel's ledger in its popup and moves
// it to 处置中; it opens a second parcel from the dashboard's ledger table and tries the moves the
// workflow or the key's role refuses; it reads the ledger table, the monthly report and the
// progress chart; and it photographs parcels on the warning map. It prints one JSON report on
// stdout: what it saw. The Go test makes the assertions against the API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newReport, withBrowser } from './browser.mjs';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = newReport();

await withBrowser('ledger.mjs', input, report, async ({ page, idle, canvasPoint, step, open }) => {
  const shot = async (name) => {
    report.screenshots[name] = join(input.artifacts, `ledger-${name}.png`);
    await page.screenshot({ path: report.screenshots[name] });
  };
  const popup = '.maplibregl-popup';
  const visibleError = `${popup} .field-error:not([hidden])`;

  step('open');
  await open();

  // 1. The key, entered in the dialog with the keyboard.
  step('key dialog');
  await page.click('#key-button');
  await page.fill('#key-input', input.key);
  await page.press('#key-input', 'Enter');
  report.key = await page.evaluate(() => ({
    dialogOpen: document.getElementById('key-dialog').open,
    stored: sessionStorage.getItem('mudi.apiKey'),
    button: document.getElementById('key-button').textContent,
  }));

  // 2. Edit a parcel's ledger in its popup: 处置措施, 完成时限, and the move to 处置中.
  step('edit ledger');
  const a = input.edit;
  await page.evaluate(([lon, lat]) => window.map.jumpTo({ center: [lon, lat], zoom: 16 }), [a.lon, a.lat]);
  await idle();
  const pa = await canvasPoint(a.lon, a.lat);
  await page.mouse.click(pa.x, pa.y);
  await page.waitForSelector(`${popup} .ledger[data-code="${a.code}"]`);
  report.before = {
    state: await page.getAttribute(`${popup} .ledger`, 'data-state'),
    moves: [],
  };
  await shot('popup');
  await page.click(`${popup} .edit-ledger`);
  report.before.moves = await page.$$eval(`${popup} .state-move`, (bs) => bs.map((b) => b.dataset.state));
  report.before.inputs = await page.$$eval(`${popup} .ledger-form [name]`, (xs) => xs.map((x) => ({ name: x.name, type: x.type })));
  await page.fill(`${popup} textarea[name="CZCS"]`, a.czcs);
  await page.fill(`${popup} input[name="WCSX"]`, a.wcsx);
  await page.click(`${popup} .state-move[data-state="处置中"]`);
  await shot('form');
  const tilesBefore = report.requests.tiles;
  await page.click(`${popup} .save-ledger`);
  await page.waitForSelector(`${popup} .ledger[data-code="${a.code}"][data-state="处置中"]`);
  await idle();
  await page.click(`${popup} .ledger-history > summary`);
  report.after = {
    state: await page.getAttribute(`${popup} .ledger`, 'data-state'),
    czcs: await page.textContent(`${popup} .ledger [data-key="CZCS"] td`),
    wcsx: await page.textContent(`${popup} .ledger [data-key="WCSX"] td`),
    history: await page.$$eval(`${popup} .ledger-history li`, (lis) => lis.map((li) => li.textContent)),
    tileRequests: report.requests.tiles - tilesBefore,
  };
  await shot('saved');
  await page.click('.maplibregl-popup-close-button');

  // 3. The dashboard: the ledger table, sorted by area.
  step('dashboard');
  await page.click('#dashboard-button');
  await page.waitForSelector('#ledger-table tbody tr');
  report.table = {
    rows: await page.$$eval('#ledger-table tbody tr', (trs) => trs.length),
    headers: await page.$$eval('#ledger-table thead th', (ths) => ths.map((th) => th.textContent.trim())),
    count: await page.textContent('#ledger-count'),
  };
  await shot('dashboard');
  await page.click('#ledger-table button.sort[data-key="area_mu"]');
  await page.click('#ledger-table button.sort[data-key="area_mu"]');
  report.table.sortedByAreaDesc = await page.$$eval('#ledger-table tbody tr', (trs) => trs.slice(0, 5).map((tr) => tr.dataset.code));
  report.table.ariaSort = await page.getAttribute('#ledger-table th[aria-sort]', 'aria-sort');

  // 4. A row opens its parcel: the map zooms to it and shows its popup, where the moves the
  // server refuses show their errors next to the fields.
  step('row click');
  const b = input.ret;
  await page.click(`#ledger-table tr[data-code="${b.code}"] th button`);
  await page.waitForSelector(`${popup} .ledger[data-code="${b.code}"]`);
  await idle();
  report.row = {
    center: await page.evaluate(() => window.map.getCenter().toArray()),
    bounds: await page.evaluate(() => window.map.getBounds().toArray()),
    state: await page.getAttribute(`${popup} .ledger`, 'data-state'),
  };
  await page.click(`${popup} .edit-ledger`);
  report.row.moves = await page.$$eval(`${popup} .state-move`, (bs) => bs.map((x) => x.dataset.state));
  // Closing off with an editor's key: the server refuses (403 naming CZZT).
  await page.click(`${popup} .state-move[data-state="已销号"]`);
  await page.click(`${popup} .save-ledger`);
  await page.waitForSelector(visibleError);
  report.row.closeOff = await page.$eval(visibleError, (p) => ({ id: p.id, text: p.textContent }));
  await shot('refused');
  // Returning it without a reason: the form asks for one before sending.
  await page.click(`${popup} .state-move[data-state="处置中"]`);
  report.row.reasonLabel = await page.textContent(`${popup} .reason-field label`);
  await page.click(`${popup} .save-ledger`);
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].some((p) => p.id.endsWith('-reason-error')), visibleError);
  report.row.noReason = await page.$eval(`${popup} .field-error[id$="-reason-error"]`, (p) => ({ id: p.id, text: p.textContent }));
  await page.fill(`${popup} input[name="reason"]`, b.reason);
  await page.click(`${popup} .save-ledger`);
  await page.waitForSelector(`${popup} .ledger[data-code="${b.code}"][data-state="处置中"]`);
  report.row.after = await page.getAttribute(`${popup} .ledger`, 'data-state');
  // The table follows: the row shows the new state.
  await page.waitForSelector(`#ledger-table tr[data-code="${b.code}"][data-state="处置中"]`);
  await page.selectOption('#ledger-state', '处置中');
  report.table.inProgress = await page.$$eval('#ledger-table tbody tr', (trs) => trs.map((tr) => tr.dataset.code));
  await page.selectOption('#ledger-state', '');
  await page.click('.maplibregl-popup-close-button');

  // 5. The monthly report, reached with the keyboard, and the Excel downloads.
  step('report');
  await page.focus('#dash-tab-ledger');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('#report-table tfoot tr');
  report.report = {
    selectedTab: await page.evaluate(() => document.activeElement.id),
    groups: await page.$$eval('#report-table tbody tr', (trs) => trs.map((tr) => ({
      group: tr.dataset.group, cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
    }))),
    total: await page.$$eval('#report-table tfoot td', (tds) => tds.map((td) => td.textContent)),
    headers: await page.$$eval('#report-table thead tr:last-child th', (ths) => ths.map((th) => th.textContent)),
    month: await page.inputValue('#report-month'),
  };
  await shot('report');
  report.downloads = {};
  for (const [name, sel] of [['ledger', '#ledger-xlsx'], ['report', '#report-xlsx']]) {
    const href = await page.getAttribute(sel, 'href');
    const res = await page.evaluate(async (h) => {
      const r = await fetch(h);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), size: b.length, zip: b[0] === 0x50 && b[1] === 0x4b };
    }, href ?? '');
    report.downloads[name] = { href, ...res };
  }

  // 6. The progress chart.
  step('progress chart');
  await page.click('#dash-tab-progress');
  await page.waitForSelector('#progress-chart[data-drawn="true"] canvas');
  await page.waitForTimeout(300); // ECharts paints on its next animation frame
  report.chart = await page.evaluate(() => {
    const c = document.querySelector('#progress-chart canvas');
    const g = c.getContext('2d');
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && !(d[i] > 250 && d[i + 1] > 250 && d[i + 2] > 250)) {
        painted++;
        if (d[i + 3] === 255) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
    }
    return { width: c.width, height: c.height, painted, colours: colours.size, note: document.getElementById('progress-note').textContent };
  });
  await shot('progress');

  // 7. The warning map: parcels coloured by their warning level.
  step('warning map');
  await page.check('#dash-warning-map');
  await page.click('#dashboard-close');
  report.modeRadio = await page.isChecked('#map-mode-warning');
  await page.evaluate(() => {
    const b = window.mudi.state.layers.find((l) => l.id === 'parcels').bounds;
    window.map.fitBounds(b, { padding: 30, duration: 0 });
  });
  await idle();
  report.warningLegend = await page.$$eval('#legend li', (lis) => lis.map((li) => li.textContent.trim()));
  await shot('warning-map');
  report.warning = [];
  for (const [i, p] of input.warning.entries()) {
    await page.evaluate(([lon, lat]) => window.map.jumpTo({ center: [lon, lat], zoom: 15 }), [p.lon, p.lat]);
    await idle();
    const at = await canvasPoint(p.lon, p.lat);
    const path = join(input.artifacts, `ledger-warning-${i}.png`);
    await page.screenshot({ path });
    report.warning.push({ code: p.code, ...at, screenshot: path });
  }
  step('done');
});
