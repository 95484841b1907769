// Static figures (PNG/SVG) without Python: plotly.js runs in one headless Chromium page driven by
// playwright-core, and Plotly.toImage draws each figure. The browser starts on first use (a few seconds:
// plotly.js is 4.6 MB of JS), is reused, and closes when idle outside a notebook kernel so scripts can exit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { writeFileAtomic } from '../io';
import { Figure, figureSize } from './figure';

export type ImageFormat = 'png' | 'svg';

export interface RenderOptions {
  format: ImageFormat;
  /** Pixels (default: the figure's layout size). */
  width?: number;
  height?: number;
  /** Pixel-density multiplier for PNG (2 = sharp on high-DPI screens and in papers). */
  scale?: number;
}

/** Browsers tried in order; SRUM_CHROMIUM overrides. */
const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Flags for a quiet, offline, throwaway browser (playwright gives it a fresh empty profile directory). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium executable to use, or null when none is installed. */
export function findChromium(): string | null {
  const override = process.env.SRUM_CHROMIUM;
  if (override) return fs.existsSync(override) ? override : null;
  return CHROMIUM_PATHS.find((candidate) => fs.existsSync(candidate)) ?? null;
}

interface Exporter {
  browser: Browser;
  page: Page;
}

let exporter: Promise<Exporter> | null = null;
/** Renders run one at a time on the single page. */
let queue: Promise<unknown> = Promise.resolve();
let idleTimer: NodeJS.Timeout | null = null;
/** Close the idle browser after this long, except inside a notebook kernel (a long-lived process). */
let idleCloseMs = 1500;

/** Keep the browser open until closeExporter() (a notebook kernel) or close it after idleMs of no use. */
export function setExporterIdleClose(idleMs: number | null): void {
  idleCloseMs = idleMs ?? Infinity;
}

async function launch(): Promise<Exporter> {
  const executablePath = findChromium();
  if (!executablePath)
    throw new Error('no Chromium found for figure export: install chromium (apt-get install chromium) or set SRUM_CHROMIUM');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
  await page.addScriptTag({ path: require.resolve('plotly.js-dist-min') });
  return { browser, page };
}

/** Draw a figure to PNG bytes or SVG text (as UTF-8 bytes). */
export function renderFigure(figure: Figure, options: RenderOptions): Promise<Buffer> {
  const size = figureSize(figure);
  const imageOptions = {
    format: options.format,
    width: options.width ?? size.width,
    height: options.height ?? size.height,
    scale: options.scale ?? 1,
  };
  const job = queue.then(async () => {
    if (idleTimer) clearTimeout(idleTimer);
    exporter ??= launch();
    const { page } = await exporter.catch((error: unknown) => {
      exporter = null;
      throw error;
    });
    const dataUrl = await page.evaluate(
      // Runs in the browser, where plotly.js defines window.Plotly.
      ({ fig, opts }) => (window as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly.toImage(fig, opts),
      { fig: figure as unknown as Record<string, unknown>, opts: imageOptions },
    );
    return decodeDataUrl(dataUrl);
  });
  queue = job.catch(() => undefined).finally(scheduleIdleClose);
  return job;
}

/** Write a figure as SVG or PNG, chosen by the file extension; the file appears complete or not at all. */
export async function exportFigure(figure: Figure, file: string, options: Omit<RenderOptions, 'format'> = {}): Promise<void> {
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.png' && extension !== '.svg') throw new Error(`exportFigure: ${file}: use a .png or .svg file name`);
  const bytes = await renderFigure(figure, { ...options, format: extension === '.png' ? 'png' : 'svg' });
  writeFileAtomic(file, bytes);
}

/** Close the browser now (it is relaunched on the next render). */
export async function closeExporter(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const running = exporter;
  exporter = null;
  if (running) await (await running.catch(() => null))?.browser.close();
}

function scheduleIdleClose(): void {
  if (!exporter || !Number.isFinite(idleCloseMs)) return;
  idleTimer = setTimeout(() => void closeExporter(), idleCloseMs);
  // The browser connection alone keeps Node alive; the timer must not add to it.
  idleTimer.unref();
}

/** Plotly.toImage returns base64 for PNG and URI-encoded text for SVG. */
function decodeDataUrl(dataUrl: string): Buffer {
  const comma = dataUrl.indexOf(',');
  const header = dataUrl.slice(0, comma);
  const body = dataUrl.slice(comma + 1);
  return header.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

/** The figure as `<base>.png` and `<base>.svg` (the pair every figure script writes); returns the two paths. */
export async function exportPngAndSvg(figure: Figure, base: string, options: Omit<RenderOptions, 'format'> = {}): Promise<string[]> {
  const files = [`${base}.png`, `${base}.svg`];
  for (const file of files) await exportFigure(figure, file, options);
  return files;
}

/** A figure script's last step: `<base>.png` and `<base>.svg`, the browser closed, one line saying what was written. */
export async function saveFigure(figure: Figure, base: string, from?: string): Promise<void> {
  await exportPngAndSvg(figure, base);
  await closeExporter();
  console.log(`wrote ${base}.png and ${base}.svg${from === undefined ? '' : ` from ${from}`}`);
}
