/**
 * The Chroma collections of DESIGN.md. Each is created with metadata that says what it holds,
 * so `collection health` and people browsing the server can tell them apart.
 */
export const COLLECTION_NAMES = [
  'pdca_historical',
  'components',
  'process_docs',
  'tool_examples',
  'process_framework',
  'daily_buffer',
] as const;

export type CollectionName = (typeof COLLECTION_NAMES)[number];

/** The five collections a query searches by default; `daily_buffer` joins when asked for. */
export const SEARCH_COLLECTIONS: readonly CollectionName[] = [
  'pdca_historical',
  'components',
  'process_docs',
  'tool_examples',
  'process_framework',
];

/** Collections whose items are PDCAs (they carry pdca_id, date, trained_in_adapter). */
export const PDCA_COLLECTIONS: readonly CollectionName[] = ['pdca_historical', 'daily_buffer'];

export const COLLECTION_DESCRIPTIONS: Record<CollectionName, string> = {
  pdca_historical: 'PDCAs already trained into the adapter (history)',
  components: 'Source files of the 5-layer components',
  process_docs: 'Process documentation',
  tool_examples: 'Tool-call examples',
  process_framework: 'TrainAI topics of the process framework',
  daily_buffer: "Today's PDCAs, waiting for the nightly training",
};

export function isCollectionName(name: string): name is CollectionName {
  return (COLLECTION_NAMES as readonly string[]).includes(name);
}
