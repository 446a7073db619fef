/**
 * What the router must reach on the held-out routing examples (besides beating every baseline
 * measured in the same run). See docs/benchmarks.md, "Training-First routing", for the figures
 * these were set against.
 */
export const ROUTER_FLOORS = { accuracy: 0.85, tierF1: 0.6 } as const;
