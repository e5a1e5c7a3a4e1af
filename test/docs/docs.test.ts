/**
 * The documentation stays true to the code (issue 16): every ```ts block in README.md and docs/**\/*.md type-checks
 * against the public API, imported as users import it ('mobile-api-shield', 'mobile-api-shield/express', ...), and
 * every relative Markdown link (and its #anchor) resolves.
 *
 * The blocks are compiled together in ONE TypeScript program (one per block would take minutes): each becomes a
 * virtual module next to the project (so node_modules and package.json resolve as for a user's file), and `paths`
 * map the package's entry points to src/. A block that is deliberately partial is fenced ```ts ignore.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Pages that other helpers write in parallel this session: links to them are allowed to dangle until the branches
 * are merged. The lead deletes this list after the merge, and the link check then covers them like any page.
 */
const PAGES_WRITTEN_ELSEWHERE_DELETE_AFTER_MERGE: readonly string[] = [
  'docs/schemas.md',
];

/** The package's entry points (package.json `exports`) and the source each is built from (tsup.config.ts). */
const ENTRY_POINTS: Readonly<Record<string, string>> = {
  '.': 'src/index.ts',
  './express': 'src/adapters/express.ts',
  './koa': 'src/adapters/koa.ts',
  './fastify': 'src/adapters/fastify.ts',
  './testing': 'src/testing/index.ts',
  './redis': 'src/stores/redis.ts',
  './client': 'src/client/index.ts',
  './opentelemetry': 'src/opentelemetry/index.ts',
};

function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : entry.name.endsWith('.md') ? [full] : [];
    });
  return [path.join(ROOT, 'README.md'), ...walk(path.join(ROOT, 'docs'))];
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

interface Block {
  file: string;
  /** 1-based line of the first code line (after the opening fence). */
  line: number;
  info: string;
  code: string;
}

const FENCE = /^(\s*)(`{3,})(.*)$/;

/** Fenced blocks of a Markdown text, indentation of a fence inside a list item removed from its lines. */
function blocksOf(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, info] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (close && close[2]!.length >= ticks.length && close[3]!.trim() === '') break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    blocks.push({ file, line: i + 2, info: info.trim(), code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The Markdown text outside fenced blocks, with inline code removed (a `[*]` in code is no link). */
function proseOf(text: string): string[] {
  const lines = text.split('\n');
  let fence: string | undefined;
  return lines.map((line) => {
    const f = FENCE.exec(line);
    if (f) {
      if (fence === undefined) fence = f[2];
      else if (f[2]!.length >= fence.length && f[3]!.trim() === '') fence = undefined;
      return '';
    }
    return fence === undefined ? line.replace(/`[^`]*`/g, '') : '';
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const f = FENCE.exec(line);
    if (f) {
      if (fence === undefined) fence = f[2];
      else if (f[2]!.length >= fence.length && f[3]!.trim() === '') fence = undefined;
      continue;
    }
    const heading = fence === undefined ? /^#{1,6} (.+)$/.exec(line) : null;
    if (!heading) continue;
    const slug = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

const FILES = markdownFiles();
const TEXTS = new Map(FILES.map((file) => [file, readFileSync(file, 'utf8')]));
const BLOCKS = FILES.flatMap((file) => blocksOf(file, TEXTS.get(file)!));
const TS_BLOCKS = BLOCKS.filter((b) => /^(ts|typescript)\b/.test(b.info));
const CHECKED = TS_BLOCKS.filter((b) => !/\bignore\b/.test(b.info));

/** Type-checks the blocks in one program; returns `file:line: message` for each error. */
function typeCheck(blocks: readonly Block[]): string[] {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const paths: Record<string, string[]> = {};
  for (const [subpath, source] of Object.entries(ENTRY_POINTS)) {
    paths[subpath === '.' ? 'mobile-api-shield' : `mobile-api-shield/${subpath.slice(2)}`] = [path.join(ROOT, source)];
  }
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, paths, baseUrl: ROOT };

  // Virtual files next to the project: resolution and the ESM-ness (package.json "type") are a user's file's.
  const dir = path.join(ROOT, '.docs-blocks');
  const virtual = new Map<string, Block>();
  blocks.forEach((block, i) => {
    const name = `${rel(block.file).replace(/[^A-Za-z0-9]+/g, '_')}_L${block.line}_${i}.ts`;
    virtual.set(path.join(dir, name), block);
  });
  // `export {}` makes every block its own module, so blocks never see each other's names.
  const source = (block: Block) => `${block.code}\nexport {};\n`;
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  host.fileExists = (f) => virtual.has(path.resolve(f)) || fileExists.call(host, f);
  host.readFile = (f) => {
    const block = virtual.get(path.resolve(f));
    return block ? source(block) : readFile.call(host, f);
  };
  host.directoryExists = (d) => path.resolve(d) === dir || (directoryExists?.call(host, d) ?? ts.sys.directoryExists(d));
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const block = virtual.get(path.resolve(f));
    return block ? ts.createSourceFile(f, source(block), languageVersion, true) : getSourceFile.call(host, f, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  return ts.getPreEmitDiagnostics(program).flatMap((d) => {
    const block = d.file ? virtual.get(path.resolve(d.file.fileName)) : undefined;
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!block) return d.file ? [] : [`(global) TS${d.code}: ${message}`];
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return [`${rel(block.file)}:${block.line + line}: TS${d.code}: ${message}`];
  });
}

describe('documentation code blocks', () => {
  it('finds the blocks (the extraction is live)', () => {
    expect(CHECKED.length).toBeGreaterThan(20);
    expect(CHECKED.some((b) => rel(b.file) === 'README.md')).toBe(true);
  });

  it('maps every entry point of package.json exports', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json').sort();
    expect(subpaths).toEqual(Object.keys(ENTRY_POINTS).sort());
  });

  // A block that must fail, compiled in the same program as the real ones: proves the checker reports errors with the
  // block's file and line, at no extra compile.
  const BAD: Block = {
    file: path.join(ROOT, 'docs/__deliberately_wrong__.md'),
    line: 7,
    info: 'ts',
    code: "import { createShield } from 'mobile-api-shield';\n\ncreateShield({ tokn: {} });",
  };
  let errors: string[] | undefined;
  const compile = () => (errors ??= typeCheck([...CHECKED, BAD]));
  const isBad = (e: string) => e.startsWith('docs/__deliberately_wrong__.md:');

  it('every ```ts block type-checks against the public API', () => {
    const real = compile().filter((e) => !isBad(e));
    expect(real, `\n${real.join('\n')}\n`).toEqual([]);
  }, 180_000);

  it('the checker fails on a wrong block, naming its file and line', () => {
    const bad = compile().filter(isBad);
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]).toMatch(/^docs\/__deliberately_wrong__\.md:9: TS\d+: .*tokn/);
  }, 180_000);

  it('only a few blocks opt out with ```ts ignore', () => {
    const ignored = TS_BLOCKS.filter((b) => /\bignore\b/.test(b.info)).map((b) => `${rel(b.file)}:${b.line}`);
    expect(ignored.length, ignored.join(', ')).toBeLessThanOrEqual(5);
  });
});

describe('documentation links', () => {
  const LINK = /\[[^\]]*\]\(([^)\s]+)\)/g;

  it('every relative link resolves to a file, and its #anchor to a heading there', () => {
    const broken: string[] = [];
    for (const file of FILES) {
      // Whole text, not line by line: a link's text may wrap onto the next line.
      const prose = proseOf(TEXTS.get(file)!).join('\n');
      {
        for (const match of prose.matchAll(LINK)) {
          const i = prose.slice(0, match.index).split('\n').length - 1 + (match[0].split('\n').length - 1);
          const target = match[1]!;
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
          const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
          const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
          const where = `${rel(file)}:${i + 1}: ${target}`;
          if (PAGES_WRITTEN_ELSEWHERE_DELETE_AFTER_MERGE.includes(rel(resolved)) && !existsSync(resolved)) continue;
          if (!existsSync(resolved)) {
            broken.push(`${where} (no such file)`);
            continue;
          }
          if (anchor === undefined || statSync(resolved).isDirectory() || !resolved.endsWith('.md')) continue;
          const text = TEXTS.get(resolved) ?? readFileSync(resolved, 'utf8');
          if (!anchorsOf(text).has(anchor)) broken.push(`${where} (no heading #${anchor})`);
        }
      }
    }
    expect(broken, `\n${broken.join('\n')}\n`).toEqual([]);
  });

  it('the README keeps the two set-up commands verbatim', () => {
    const readme = TEXTS.get(path.join(ROOT, 'README.md'))!;
    expect(readme).toContain('```sh\nnpm install && npm run demo\n```');
    expect(readme).toContain('```sh\nnpm install && npm test\n```');
  });
});
