/**
 * Issue 16: every problem `type` URI resolves. Each code the shield or one of its endpoint sets can put in a problem
 * response has its page `docs/problems/<code>.md`, and every page there belongs to such a code. The codes are
 * collected from the code tables (the core's, each built-in module's `codes`, the attestation service's) and from
 * the literal codes of every `endpointProblem` call in src/, so a new code without a page fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SHIELD_CODES } from '../../src/core/codes.js';
import type { VerifierModule } from '../../src/core/module.js';
import { ATTESTATION_SERVICE_CODES } from '../../src/attestation/issuer/service.js';
import { BUILT_IN_MODULES } from '../../src/shield.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGES = path.join(ROOT, 'docs/problems');
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

// `endpointProblem(<status>, '<code>'` calls (not its declaration): the endpoints' codes outside any table.
const ENDPOINT_CALL = /(?<!function )endpointProblem\(\s*([^,]+),\s*([^,)]+)/g;
// The one call site that passes a variable: the attestation service, whose codes are ATTESTATION_SERVICE_CODES.
const TABLE_CALL_SITES = new Set(['src/attestation/issuer/service.ts']);

function endpointCodes(): { codes: Set<string>; untabled: string[] } {
  const codes = new Set<string>();
  const untabled: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const relative = path.relative(ROOT, file).split(path.sep).join('/');
    for (const match of readFileSync(file, 'utf8').matchAll(ENDPOINT_CALL)) {
      const arg = match[2]!.trim();
      const literal = /^'([a-z0-9_]+)'$/.exec(arg);
      if (literal) codes.add(literal[1]!);
      else if (!TABLE_CALL_SITES.has(relative)) untabled.push(`${relative}: ${arg}`);
    }
  }
  return { codes, untabled };
}

async function moduleCodes(): Promise<string[]> {
  // Every module.ts under src/verifiers, whether or not it is wired into BUILT_IN_MODULES yet.
  const dirs = readdirSync(path.join(SRC, 'verifiers'), { withFileTypes: true }).filter((d) => d.isDirectory());
  const modules: VerifierModule[] = [...BUILT_IN_MODULES];
  for (const dir of dirs) {
    const file = path.join(SRC, 'verifiers', dir.name, 'module.ts');
    if (!existsSync(file)) continue;
    const exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(exported)) {
      if (typeof value === 'object' && value !== null && 'key' in value && 'create' in value) modules.push(value as VerifierModule);
    }
  }
  return modules.flatMap((m) => Object.keys(m.codes ?? {}));
}

describe('docs/problems: one page per emitted code', () => {
  it('finds the endpoint codes, and no endpointProblem call whose code it cannot read', () => {
    const { codes, untabled } = endpointCodes();
    expect(untabled).toEqual([]);
    // The scan is live: it sees the codes the endpoint router and the pin-report endpoint answer with.
    expect([...codes]).toEqual(expect.arrayContaining(['method_not_allowed', 'too_many_reports', 'payload_too_large']));
  });

  it('has a page for every code and a code for every page', async () => {
    const emitted = new Set<string>([
      ...Object.keys(SHIELD_CODES),
      ...(await moduleCodes()),
      ...Object.keys(ATTESTATION_SERVICE_CODES),
      ...endpointCodes().codes,
    ]);
    const pages = new Set(readdirSync(PAGES).map((name) => name.replace(/\.md$/, '')));
    const withoutPage = [...emitted].filter((code) => !pages.has(code)).sort();
    const withoutCode = [...pages].filter((page) => !emitted.has(page)).sort();
    expect(withoutPage, 'codes without a docs/problems/<code>.md page').toEqual([]);
    expect(withoutCode, 'docs/problems pages for no code').toEqual([]);
  });

  it('docs/errors.md has a row with the status of every code a shield can deny with', () => {
    const table = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');
    const rows = new Map([...table.matchAll(/^\| \[`([a-z_]+)`\]\(problems\/\1\.md\) \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
    const codes: Record<string, { status: number }> = { ...SHIELD_CODES };
    for (const module of BUILT_IN_MODULES) Object.assign(codes, module.codes ?? {});
    const missing = Object.entries(codes).filter(([code, { status }]) => rows.get(code) !== status).map(([code, { status }]) => `${code} (${status})`);
    expect(rows.size).toBeGreaterThan(10);
    expect(missing, 'codes without a row in docs/errors.md, or with another status there').toEqual([]);
  });

  it('each page names its code, status and title as the code table does', () => {
    const tables: Record<string, { status: number; title: string }> = { ...ATTESTATION_SERVICE_CODES, ...SHIELD_CODES };
    for (const [code, { status, title }] of Object.entries(tables)) {
      const text = readFileSync(path.join(PAGES, `${code}.md`), 'utf8');
      expect(text.startsWith(`# \`${code}\`\n`), code).toBe(true);
      expect(text, code).toContain(`| ${status} | ${title} |`);
      for (const section of ['## When it happens', '## What the client should do', '## What the server operator should check']) {
        expect(text, `${code}: ${section}`).toContain(section);
      }
    }
  });
});
