// Browser test of the monthly pack's offline page, run by api/pack_browser_test.go:
//
//   node test/pack.mjs INPUT.json
//
// It drives Debian's Chromium (never a downloaded browser) with playwright-core, opens the
// unpacked pack's index.html from file:// — no server, no flag that widens file access —,
// aborts every network request, and prints one JSON report on stdout: screenshot paths, the
// page pixels of known parcels, the ledger rows and report tables shown, console and page
// errors, and every request that was not a file of the pack. With "pick" in the input, it picks
// that folder in the page's folder input, as a user does when the archives are not embedded.
// The Go test makes the assertions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const log = (...a) => console.error('[pack.mjs]', ...a);
const report = {
  screenshots: {},
  positions: [],
  consoleErrors: [],
  pageErrors: [],
  blocked: [],
  requests: [],
  steps: [],
};
// Files of the pack, and what the page makes itself (MapLibre's worker blob), stay local.
const isLocal = (url) => /^(file|blob|data):/.test(url);

const userDataDir = mkdtempSync(join(tmpdir(), 'mudi-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: input.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic',
  ],
  viewport: { width: 1366, height: 800 },
  deviceScaleFactor: 1,
  locale: 'zh-CN',
  timeout: 60_000,
});

try {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    report.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => report.requests.push(req.url()));

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') report.consoleErrors.push(`${msg.text()} @ ${msg.location()?.url ?? ''}`);
  });
  page.on('pageerror', (err) => report.pageErrors.push(String(err?.stack || err)));
  page.setDefaultTimeout(60_000);

  await page.goto(pathToFileURL(input.index).href);
  report.steps.push('opened');
  if (input.pick) {
    // The archives are not embedded: the page asks for the pack's folder, as a user picks it.
    await page.waitForSelector('#pick-folder');
    report.pickShown = await page.evaluate(() => !document.getElementById('pick').hidden);
    await page.setInputFiles('#pick-folder', input.pick);
    report.steps.push('picked');
  }
  await page.waitForFunction(() => window.mudiPack && (window.mudiPack.ready || window.mudiPack.error));
  report.state = await page.evaluate(() => ({ ready: window.mudiPack.ready, error: window.mudiPack.error }));
  report.title = await page.title();
  report.lang = await page.evaluate(() => document.documentElement.lang);
  if (report.state.ready) {
    await page.evaluate(() => new Promise((resolve) => {
      window.mudiPack.map.once('idle', resolve);
      window.mudiPack.map.triggerRepaint();
    }));
    for (const p of input.parcels) {
      const pos = await page.evaluate(([lon, lat]) => {
        const map = window.mudiPack.map;
        const q = map.project([lon, lat]);
        const r = map.getCanvas().getBoundingClientRect();
        return { x: r.left + q.x, y: r.top + q.y, inside: q.x >= 0 && q.y >= 0 && q.x < r.width && q.y < r.height };
      }, [p.lon, p.lat]);
      report.positions.push({ code: p.code, ...pos });
    }
    report.legend = await page.$$eval('#legend label', (ls) => ls.map((l) => l.textContent.trim()));
  }
  report.screenshots.map = join(input.artifacts, 'pack-map.png');
  await page.screenshot({ path: report.screenshots.map });
  report.steps.push('map');

  await page.click('#tab-ledger');
  report.ledger = await page.evaluate(() => ({
    rows: document.querySelectorAll('#ledger tbody tr').length,
    header: Array.from(document.querySelectorAll('#ledger thead th')).map((th) => th.textContent),
    codes: Array.from(document.querySelectorAll('#ledger tbody tr')).map((tr) => tr.cells[1].textContent),
    caption: document.getElementById('ledger-count').textContent,
  }));
  report.screenshots.ledger = join(input.artifacts, 'pack-ledger.png');
  await page.screenshot({ path: report.screenshots.ledger });
  report.steps.push('ledger');

  await page.click('#tab-report');
  report.report = await page.evaluate(() => ({
    headings: Array.from(document.querySelectorAll('#report h3')).map((h) => h.textContent),
    tables: Array.from(document.querySelectorAll('#report table.report')).map((t) =>
      Array.from(t.rows).map((r) => Array.from(r.cells).map((c) => c.textContent))),
    visible: !document.getElementById('view-report').hidden,
  }));
  report.screenshots.report = join(input.artifacts, 'pack-report.png');
  await page.screenshot({ path: report.screenshots.report });
  report.steps.push('report');

  await page.click('#tab-changes');
  report.changes = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#changes tr')).slice(1).map((r) => Array.from(r.cells).map((c) => c.textContent)));
  report.screenshots.changes = join(input.artifacts, 'pack-changes.png');
  await page.screenshot({ path: report.screenshots.changes });
  report.steps.push('changes');
} catch (err) {
  report.error = String(err?.stack || err);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report));
