// Browser test of the web viewer, run by api/web_browser_test.go:
//
//   node test/viewer.mjs INPUT.json
//
// It drives Debian's Chromium (never a downloaded browser) with playwright-core against a mudi
// server on 127.0.0.1, blocks every request to any other host, and prints one JSON report on
// stdout: what it saw (screenshot paths, pixel positions of known parcels, popup text, the
// analysis summary shown, console errors, blocked requests). The Go test makes the assertions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const log = (...a) => console.error('[viewer.mjs]', ...a);
const report = {
  screenshots: {},
  positions: [],
  consoleErrors: [],
  pageErrors: [],
  blocked: [],
  requests: { total: 0, tiles: 0, nonLocal: [] },
  steps: [],
};
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
  // Only 127.0.0.1 may be reached: everything else is aborted and recorded.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    report.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => {
    report.requests.total++;
    if (/\/tiles\/.+\/\d+\/\d+\/\d+\.(mvt|pbf)$/.test(new URL(req.url()).pathname)) report.requests.tiles++;
    if (!isLocal(req.url())) report.requests.nonLocal.push(req.url());
  });

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
  // canvasPoint projects lon/lat to page pixels (CSS px = screenshot px at deviceScaleFactor 1).
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

  // 1. The main view: the parcels drawn from mudi's tiles.
  step('open');
  await page.goto(`${input.base}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => ['ready', 'failed'].includes(document.body.dataset.state));
  report.state = await page.evaluate(() => document.body.dataset.state);
  if (report.state !== 'ready') throw new Error(`viewer state ${report.state}: ${await page.textContent('#app-status')}`);
  await idle();
  report.title = await page.title();
  report.lang = await page.evaluate(() => document.documentElement.lang);
  report.zoom = await page.evaluate(() => window.map.getZoom());
  for (const p of input.parcels) report.positions.push({ id: p.id, ...(await canvasPoint(p.lon, p.lat)) });
  report.legend = await page.$$eval('#legend li', (lis) => lis.map((li) => li.textContent.trim()));
  report.layerToggles = await page.$$eval('#layer-groups input[type=checkbox]', (xs) => xs.map((x) => x.dataset.layer));
  report.screenshots.main = join(input.artifacts, 'viewer-main.png');
  await page.screenshot({ path: report.screenshots.main });

  // 2. Close up on a known parcel (its neighbours' colours are checked too), then click it: the
  // popup shows its attributes from /api/layers/parcels/features/{id}.
  step('click parcel');
  const c = input.click;
  await page.evaluate(([lon, lat, z]) => window.map.jumpTo({ center: [lon, lat], zoom: z }), [c.lon, c.lat, input.click_zoom]);
  await idle();
  report.zoomedPositions = [];
  for (const p of input.zoomed) report.zoomedPositions.push({ id: p.id, ...(await canvasPoint(p.lon, p.lat)) });
  report.screenshots.zoomed = join(input.artifacts, 'viewer-zoomed.png');
  await page.screenshot({ path: report.screenshots.zoomed });
  const pt = await canvasPoint(c.lon, c.lat);
  await page.mouse.click(pt.x, pt.y);
  await page.waitForSelector(`.maplibregl-popup .popup[data-feature="${c.id}"]`);
  report.popup = {
    feature: await page.getAttribute('.maplibregl-popup .popup', 'data-feature'),
    text: await page.textContent('.maplibregl-popup .popup'),
    code: await page.textContent('.maplibregl-popup [data-key="code"] td'),
    areaMu: await page.textContent('.maplibregl-popup [data-key="area_mu"] td'),
    labels: await page.$$eval('.maplibregl-popup .popup > table th', (ths) => ths.map((th) => th.textContent)),
  };
  await idle();
  report.screenshots.popup = join(input.artifacts, 'viewer-popup.png');
  await page.screenshot({ path: report.screenshots.popup });
  await page.click('.maplibregl-popup-close-button');

  // 3. Keyboard: the tabs follow the arrow keys.
  step('keyboard tabs');
  await page.focus('#tab-layers');
  await page.keyboard.press('ArrowRight');
  report.keyboardTab = await page.evaluate(() => ({
    selected: document.querySelector('[role=tab][aria-selected=true]').id,
    focused: document.activeElement.id,
    panelVisible: !document.getElementById('panel-analysis').hidden,
  }));

  // 4. The contiguous-blocks preset, run from the analysis panel.
  step('contiguous blocks');
  await page.click('#tab-analysis');
  await page.check('input[name=preset][value="contiguous-blocks"]');
  await page.fill('#an-min-mu', String(input.blocks.min_mu));
  await page.fill('#an-tolerance', String(input.blocks.tolerance_m));
  await page.check('input[name=status_mode][value=default]');
  await page.click('#run-analysis');
  await page.waitForSelector('#analysis-result:not([hidden]) [data-summary="count"]');
  await idle();
  report.summary = {
    count: await page.textContent('[data-summary="count"]'),
    areaMu: await page.textContent('[data-summary="area_mu"]'),
    parcelCount: await page.textContent('[data-summary="parcel_count"]'),
    text: await page.textContent('#result-summary'),
  };
  report.result = await page.evaluate(() => ({
    sourceFeatures: window.mudi.state.result.data.features.length,
    rendered: new Set(window.map.queryRenderedFeatures({ layers: ['result-fill'] }).map((f) => f.id)).size,
    download: document.getElementById('download-result').getAttribute('download'),
    listItems: document.querySelectorAll('#result-list li').length,
  }));
  report.screenshots.analysis = join(input.artifacts, 'viewer-analysis.png');
  await page.screenshot({ path: report.screenshots.analysis });

  // 5. Save the result as a layer: it appears in the layer panel and is drawn from tiles.
  if (input.save_as) {
    step('save as layer');
    await page.click('#save-box > summary');
    await page.fill('#save-id', input.save_as);
    await page.fill('#save-key', input.key);
    const tilesBefore = report.requests.tiles;
    await page.click('#save-result');
    await page.waitForSelector('#save-ok:not([hidden]), #save-error:not([hidden])');
    report.saved = { ok: await page.isVisible('#save-ok'), message: (await page.textContent('#save-ok:not([hidden]), #save-error:not([hidden])')).trim() };
    await page.waitForFunction(() => window.map.isStyleLoaded());
    await idle();
    report.saved.toggle = (await page.$(`#layer-toggle-${input.save_as}`)) !== null;
    report.saved.styleLayers = await page.evaluate((id) => window.map.getStyle().layers.filter((l) => l['source-layer'] === id).map((l) => l.id), input.save_as);
    report.saved.rendered = await page.evaluate((id) => window.map.queryRenderedFeatures({ layers: [`${id}-fill`] }).length, input.save_as);
    report.saved.tileRequests = report.requests.tiles - tilesBefore;
    report.saved.keyStored = await page.evaluate(() => sessionStorage.getItem('mudi.apiKey') !== null);
    await page.click('#tab-layers');
    report.screenshots.saved = join(input.artifacts, 'viewer-saved-layer.png');
    await page.screenshot({ path: report.screenshots.saved });
  }

  // 6. Statistics per district.
  step('statistics');
  await page.click('#tab-stats');
  await page.waitForSelector('table.stats tbody[data-district]');
  report.stats = await page.$$eval('table.stats tbody[data-district]', (bodies) => bodies.map((b) => ({
    district: b.dataset.district,
    count: b.querySelector('tr.district td').textContent,
    statuses: b.querySelectorAll('tr:not(.district)').length,
  })));
  report.screenshots.stats = join(input.artifacts, 'viewer-stats.png');
  await page.screenshot({ path: report.screenshots.stats });
  step('done');
} catch (err) {
  report.error = String(err?.stack || err);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(report)}\n`);
