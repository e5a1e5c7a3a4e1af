/** The store contract lives in the core (the engine depends on it); stores implement it from here. */
export * from '../core/store.js';
