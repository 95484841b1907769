// The one TensorFlow.js entry point of the toolkit: `import * as tf from '../backend/tf'`.
// Importing through here guarantees the wasm backend is registered and its missing kernels
// (lib/backend/kernels.ts) are filled before any code runs an op. Choose the backend with
// initBackend() from lib/backend/select.ts.
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from './kernels';

registerWasmKernels();

export * from '@tensorflow/tfjs';
