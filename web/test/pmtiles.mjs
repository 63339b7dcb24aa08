// Browser test of the viewer on a PMTiles archive without a server, run by
// api/web_pmtiles_test.go:
//
//   node test/pmtiles.mjs INPUT.json
//
// INPUT names the page (the built viewer served by a plain file server, with ?pmtiles=), the
// Chromium binary, a folder for screenshots and the places to project: {page, chromium,
// artifacts, parcels: [{id, lon, lat}], closeup: {lon, lat, zoom}, zoomed: [{id, lon, lat}]}.
// It drives Debian's Chromium with playwright-core, aborts every request to a host other than
// 127.0.0.1, and prints one JSON report on stdout; the Go test makes the assertions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const log = (...a) => console.error('[pmtiles.mjs]', ...a);
const report = { screenshots: {}, positions: [], zoomedPositions: [], consoleErrors: [], pageErrors: [], blocked: [], requests: [], steps: [] };
const localHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLocal = (url) => {
  const u = new URL(url);
  return u.protocol === 'data:' || u.protocol === 'blob:' || localHosts.has(u.hostname);
};

const userDataDir = mkdtempSync(join(tmpdir(), 'mudi-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: input.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic',
  ],
  viewport: { width: 1366, height: 768 },
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
  context.on('request', (req) => report.requests.push({ url: req.url(), range: req.headers().range || '' }));

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') report.consoleErrors.push(`${msg.text()} @ ${msg.location()?.url ?? ''}`);
  });
  page.on('pageerror', (err) => report.pageErrors.push(String(err?.stack || err)));
  page.setDefaultTimeout(60_000);

  const idle = () => page.evaluate(() => new Promise((resolve) => {
    window.map.once('idle', resolve);
    window.map.triggerRepaint();
  }));
  const canvasPoint = (lon, lat) => page.evaluate(([lon, lat]) => {
    const p = window.map.project([lon, lat]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y, inside: p.x >= 0 && p.y >= 0 && p.x < r.width && p.y < r.height };
  }, [lon, lat]);
  const started = Date.now();
  const step = (name) => {
    report.steps.push(name);
    log(`${name} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  step('open');
  await page.goto(input.page, { waitUntil: 'load' });
  await page.waitForFunction(() => ['ready', 'failed'].includes(document.body.dataset.state));
  report.state = await page.evaluate(() => document.body.dataset.state);
  if (report.state !== 'ready') throw new Error(`viewer state ${report.state}: ${await page.textContent('#app-status')}`);
  await idle();
  report.source = await page.evaluate(() => document.body.dataset.source || '');
  report.status = await page.textContent('#app-status');
  report.zoom = await page.evaluate(() => window.map.getZoom());
  report.styleSources = await page.evaluate(() => Object.fromEntries(Object.entries(window.map.getStyle().sources).map(([k, v]) => [k, v.url || v.type])));
  report.legend = await page.$$eval('#legend li', (lis) => lis.map((li) => li.textContent.trim()));
  report.layerToggles = await page.$$eval('#layer-groups input[type=checkbox]', (xs) => xs.map((x) => x.dataset.layer));
  report.hiddenTabs = await page.$$eval('[role=tab]', (tabs) => tabs.filter((t) => t.hidden).map((t) => t.id));
  report.rendered = await page.evaluate(() => window.map.queryRenderedFeatures().filter((f) => f.source === 'mudi').length);
  for (const p of input.parcels) report.positions.push({ id: p.id, ...(await canvasPoint(p.lon, p.lat)) });
  report.screenshots.main = join(input.artifacts, 'pmtiles-main.png');
  await page.screenshot({ path: report.screenshots.main });

  step('close-up');
  const c = input.closeup;
  await page.evaluate(([lon, lat, z]) => window.map.jumpTo({ center: [lon, lat], zoom: z }), [c.lon, c.lat, c.zoom]);
  await idle();
  for (const p of input.zoomed) report.zoomedPositions.push({ id: p.id, ...(await canvasPoint(p.lon, p.lat)) });
  report.screenshots.zoomed = join(input.artifacts, 'pmtiles-zoomed.png');
  await page.screenshot({ path: report.screenshots.zoomed });
  step('done');
} catch (err) {
  report.error = String(err?.stack || err);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(report)}\n`);
