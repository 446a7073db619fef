import type { TestProject } from 'vitest/node';

/**
 * Starts the real services the integration tests need (Chroma, Ollama) once per run, on free
 * ports, and stops them at the end. Filled in by the services work (issue 3).
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  return async () => {};
}
