/**
 * Loads the labelled request corpus (`../shared/waf-dev/corpus-dev.jsonl`, relative to the project root) and turns
 * its records into shield requests. Shared by the detection benchmark and the detection-target test; the corpus
 * itself is never copied into the project.
 */
import { parseBody } from '../../src/core/body.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShieldRequest } from '../../src/core/request.js';

/** One corpus record, as its README describes it. */
export interface CorpusRecord {
  id: string;
  source: string;
  category: string;
  subcategory?: string;
  expected: 'attack' | 'benign';
  request: {
    method: string;
    path: string;
    query: string;
    headers: Record<string, string>;
    body: string | null;
    contentType: string | null;
  };
  meta?: { line?: string; file?: string; index?: number };
}

/**
 * The key a record is split on: the list entry itself when the record came from a list (each entry appears twice,
 * as a query parameter and as a JSON field, and both must land in the same half), else the record id.
 */
export function splitKey(record: CorpusRecord): string {
  const meta = record.meta;
  if (meta?.line !== undefined) return `line:${meta.line}`;
  if (meta?.file !== undefined && meta.index !== undefined) return `file:${meta.file}:${meta.index}`;
  return record.id;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the development corpus. */
export const CORPUS_PATH = resolve(projectRoot, '..', 'shared', 'waf-dev', 'corpus-dev.jsonl');

/** True when the corpus is present next to the project. */
export function corpusAvailable(): boolean {
  return existsSync(CORPUS_PATH);
}

/** Reads every record of the corpus. */
export function loadCorpus(): CorpusRecord[] {
  return readFileSync(CORPUS_PATH, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as CorpusRecord);
}

/** The body as an app's parser would hand it on (the corpus bodies are JSON, forms and text); unparseable: unparsed. */
function parsedBody(raw: Buffer | undefined, type: string | undefined): Pick<ShieldRequest, 'body' | 'bodyUnparsed' | 'rawBody'> {
  if (raw === undefined) return {};
  try {
    return { body: parseBody(raw, type), rawBody: raw };
  } catch {
    return { bodyUnparsed: true, rawBody: raw };
  }
}

/** Builds the ShieldRequest an adapter would build for this record, with the body parsed as the app would. */
export function toShieldRequest(record: CorpusRecord): ShieldRequest {
  const { request } = record;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const raw = request.body === null ? undefined : Buffer.from(request.body, 'utf8');
  return {
    method: request.method.toUpperCase(),
    path: request.path,
    headers,
    ip: '127.0.0.1',
    query: request.query,
    ...parsedBody(raw, headers['content-type']),
  };
}

/** Detection figures for one category. */
export interface CategoryScore {
  category: string;
  total: number;
  flagged: number;
}

/** Tallies flagged/total per category; `benign` counts false positives. */
export function tally(records: readonly CorpusRecord[], flagged: readonly boolean[]): Map<string, CategoryScore> {
  const scores = new Map<string, CategoryScore>();
  records.forEach((record, i) => {
    let score = scores.get(record.category);
    if (!score) scores.set(record.category, (score = { category: record.category, total: 0, flagged: 0 }));
    score.total++;
    if (flagged[i]) score.flagged++;
  });
  return scores;
}
