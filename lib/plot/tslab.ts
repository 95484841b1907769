// The one place that touches tslab internals. tslab's public `display.raw(mime, value)` sends one MIME type
// per output; a figure needs ONE output holding several (plotly JSON + PNG + text) so each front end picks
// what it can draw. tslab's internal `jupyter.lastWriteDisplayData({data, metadata, transient})` sends such
// a bundle. It is not a public API (checked against tslab 1.0.22): if it moves, sendDisplayData returns
// false and callers fall back to text.
import * as path from 'node:path';
import { createRequire } from 'node:module';

/** A Jupyter display_data message content: MIME type -> value (strings; JSON types as objects). */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

type WriteDisplayData = (content: DisplayBundle & { transient: Record<string, unknown> }, update: boolean) => void;

interface TslabJupyterModule {
  lastWriteDisplayData: WriteDisplayData | null;
}

/** The jupyter module of the tslab kernel running this process, or null outside a tslab kernel. */
function runningTslabJupyter(): TslabJupyterModule | null {
  // The kernel's entry point is <tslab>/bin/tslab; requiring relative to it reaches the very module
  // instance the kernel uses (a plain require('tslab/...') could find a different copy).
  const entry = require.main?.filename;
  if (!entry || path.basename(entry) !== 'tslab' || path.basename(path.dirname(entry)) !== 'bin') return null;
  try {
    const jupyter = createRequire(entry)('../dist/jupyter.js') as Partial<TslabJupyterModule>;
    return 'lastWriteDisplayData' in jupyter ? (jupyter as TslabJupyterModule) : null;
  } catch {
    return null;
  }
}

/** True when running inside a tslab kernel (figures can be displayed inline). */
export function inTslabKernel(): boolean {
  return runningTslabJupyter() !== null;
}

/** Send one display_data output with every MIME type of the bundle. Returns false outside a tslab cell. */
export function sendDisplayData(bundle: DisplayBundle): boolean {
  const write = runningTslabJupyter()?.lastWriteDisplayData;
  if (typeof write !== 'function') return false;
  write({ data: bundle.data, metadata: bundle.metadata, transient: {} }, false);
  return true;
}
