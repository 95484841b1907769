// The package entry (`import { ... } from 'srum-ts'`, used by notebooks and scripts): the public API.
export * from './rng';
export * from './world/types';
export * from './world/config';
export * from './world/geometry';
export * from './plot';
