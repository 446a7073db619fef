/**
 * A child process of EmbeddingPool: loads one MiniLM model (options in argv[2], as JSON) and
 * answers `{ id, texts }` messages with `{ id, vectors }` (Float32Array each) or
 * `{ id, error }`. It exits when its parent goes away, so a killed job never leaves it behind.
 */
import { MiniLmEmbedder, type MiniLmEmbedderOptions } from './minilm-embedder.js';

export interface EmbedRequest {
  id: number;
  texts: string[];
}
export type EmbedReply = { id: number; vectors: Float32Array[] } | { id: number; error: string };

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('embed-worker is started by EmbeddingPool (child_process.fork), not by hand\n');
  process.exit(2);
}
const embedder = new MiniLmEmbedder(JSON.parse(process.argv[2] ?? '{}') as MiniLmEmbedderOptions);
process.on('disconnect', () => process.exit(0));
process.on('message', (message: EmbedRequest) => {
  embedder.embed(message.texts).then(
    (vectors) => send({ id: message.id, vectors: vectors.map((v) => Float32Array.from(v)) } satisfies EmbedReply),
    (error: unknown) => send({ id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies EmbedReply),
  );
});
send({ id: -1, vectors: [] } satisfies EmbedReply); // started
