import type { Migration } from '@web4/storage';
import { nodes001 } from './001_nodes.js';
import { edges002 } from './002_edges.js';

/** The graph tier's file (`rag.graphDb`). Listed, not discovered, so the esbuild bundle carries them. */
export const graphMigrations: Migration[] = [nodes001, edges002];
