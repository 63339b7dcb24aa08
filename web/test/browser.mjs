// Shared set-up of the browser test scripts: Debian's Chromium driven by playwright-core (never a
// downloaded browser), every request to a host other than 127.0.0.1 aborted and recorded, and
// helpers to wait for the map and to project lon/lat to page pixels.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const localHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);
export const isLocal = (url) => {
  const u = new URL(url);
  return u.protocol === 'data:' || u.protocol === 'blob:' || localHosts.has(u.hostname);
};

// newReport returns the fields every script reports.
export function newReport() {
  return {
    screenshots: {}, consoleErrors: [], pageErrors: [], blocked: [], steps: [],
    requests: { total: 0, tiles: 0, nonLocal: [], urls: [] },
  };
}

// withBrowser runs fn({ page, idle, canvasPoint, step }) in a fresh headless Chromium, records
// into report what the page did, and prints the report as one JSON line on stdout, also when fn
// fails (report.error).
export async function withBrowser(name, input, report, fn) {
  const log = (...a) => console.error(`[${name}]`, ...a);
  const userDataDir = mkdtempSync(join(tmpdir(), 'mudi-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
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
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      report.blocked.push(url);
      return route.abort('blockedbyclient');
    });
    context.on('request', (req) => {
      report.requests.total++;
      report.requests.urls.push(req.url());
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
    const step = (s) => {
      report.steps.push(s);
      log(`${s} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    };
    const open = async () => {
      await page.goto(`${input.base}/`, { waitUntil: 'load' });
      await page.waitForFunction(() => ['ready', 'failed'].includes(document.body.dataset.state));
      const state = await page.evaluate(() => document.body.dataset.state);
      if (state !== 'ready') throw new Error(`viewer state ${state}: ${await page.textContent('#app-status')}`);
      await idle();
    };
    await fn({ page, idle, canvasPoint, step, open });
  } catch (err) {
    report.error = String(err?.stack || err);
  } finally {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
