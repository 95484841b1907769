// Inline figures in notebooks. One output carries three MIME types and each front end picks the richest it
// can draw: VS Code (and JupyterLab with jupyterlab-plotly) the interactive plotly JSON; plain JupyterLab,
// nbconvert HTML and GitHub's viewer the PNG; a terminal the text. No text/html: GitHub would prefer it and
// show it blank (it runs no scripts).
import { Figure, describeFigure, figureSize } from './figure';
import { findChromium, renderFigure, setExporterIdleClose } from './export';
import { DisplayBundle, inTslabKernel, sendDisplayData } from './tslab';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

export interface ShowOptions {
  /** PNG pixel density (the PNG is shown at the figure's size). */
  scale?: number;
}

let warnedNoChromium = false;

/** The display bundle for a figure: plotly JSON (as an object), a PNG drawn in Node when Chromium is present, text. */
export async function displayBundle(figure: Figure, options: ShowOptions = {}): Promise<DisplayBundle> {
  const data: Record<string, unknown> = {
    [PLOTLY_MIME]: { data: figure.data, layout: figure.layout },
    'text/plain': describeFigure(figure),
  };
  const metadata: Record<string, unknown> = {};
  if (findChromium()) {
    const png = await renderFigure(figure, { format: 'png', scale: options.scale ?? 1 });
    data['image/png'] = png.toString('base64');
    metadata['image/png'] = figureSize(figure);
  } else if (!warnedNoChromium) {
    warnedNoChromium = true;
    console.warn('srum-ts plot: no Chromium found (install chromium or set SRUM_CHROMIUM); figures are shown without a PNG.');
  }
  return { data, metadata };
}

/** Display a figure inline in a tslab notebook (`await show(figure)`); outside a kernel, print its description. */
export async function show(figure: Figure, options: ShowOptions = {}): Promise<void> {
  if (!inTslabKernel()) {
    console.log(`${describeFigure(figure)} (not in a notebook: use exportFigure to write it to a file)`);
    return;
  }
  // A kernel lives long: keep the browser between cells instead of relaunching it.
  setExporterIdleClose(null);
  sendDisplayData(await displayBundle(figure, options));
}
