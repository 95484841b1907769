// Figures: builders (plain plotly JSON), inline display in notebooks, static export for papers.
export * from './figure';
export * from './charts';
export * from './overlays';
export {
  type ImageFormat,
  type RenderOptions,
  closeExporter,
  exportFigure,
  exportPngAndSvg,
  saveFigure,
  findChromium,
  renderFigure,
} from './export';
export { PLOTLY_MIME, type ShowOptions, displayBundle, show } from './show';
export { type DisplayBundle, inTslabKernel } from './tslab';
export { gapChart } from './gap';
export { mainResultsChart, protocolResultsChart, roundsChart } from './results';
export { clusterActivationChart } from './clusters';
export { type PerStepChartData, perStepChart } from './per-step';
export { ablationChart, lambdaSweepChart } from './sweep';
export { generalisationChart } from './generalisation';
