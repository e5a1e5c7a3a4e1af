#!/usr/bin/env node
// Gives the build's top-level bindings back the `const` the sources declared. esbuild emits every top-level `const`
// and `let` of a bundle as `var` (deliberately, with no option to keep them: https://esbuild.github.io/faq/#top-level-var),
// and V8's optimizing compiler folds only `const` module bindings into the code it generates: a typed array read in
// a hot loop through a `var` binding pays for a map check and three loads per access (the payload shield's value scan
// read 51 instructions a character instead of 34). A top-level `var` becomes `const` again when it has an initializer,
// binds a plain name declared once, and no assignment anywhere in the file names it (any scope: a shadowing local only
// makes the check stricter). Run by `npm run build` after tsup, before the entry points are imported.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';

/** Every node below `node` (ESTree objects: anything with a string `type`). */
function* nodesOf(node) {
  const pending = [node];
  while (pending.length > 0) {
    const current = pending.pop();
    yield current;
    for (const value of Object.values(current)) {
      if (Array.isArray(value)) {
        for (const item of value) if (item && typeof item.type === 'string') pending.push(item);
      } else if (value && typeof value.type === 'string') pending.push(value);
    }
  }
}

/** The names a pattern assigns (`a`, `[a, b]`, `{ a, b: c }`, `...d`, `e = 1`); member expressions assign no name. */
function namesIn(pattern, into) {
  if (pattern.type === 'Identifier') into.add(pattern.name);
  else if (pattern.type === 'ArrayPattern') for (const element of pattern.elements) element && namesIn(element, into);
  else if (pattern.type === 'ObjectPattern') for (const property of pattern.properties) namesIn(property.type === 'RestElement' ? property : property.value, into);
  else if (pattern.type === 'RestElement') namesIn(pattern.argument, into);
  else if (pattern.type === 'AssignmentPattern') namesIn(pattern.left, into);
}

/**
 * `source` (an ES module) with every top-level `var` that qualifies (see the file's header) declared `const`;
 * `converted` and `kept` count the declarations.
 */
export function restoreConst(source) {
  const program = parse(source, { ecmaVersion: 'latest', sourceType: 'module' });
  const assigned = new Set();
  for (const node of nodesOf(program)) {
    if (node.type === 'AssignmentExpression') namesIn(node.left, assigned);
    else if (node.type === 'UpdateExpression') namesIn(node.argument, assigned);
    else if ((node.type === 'ForInStatement' || node.type === 'ForOfStatement') && node.left.type !== 'VariableDeclaration') namesIn(node.left, assigned);
  }
  const declarations = [];
  for (const statement of program.body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type === 'VariableDeclaration' && declaration.kind === 'var') declarations.push(declaration);
  }
  const declaredTimes = new Map();
  for (const declaration of declarations) {
    for (const declarator of declaration.declarations) {
      const names = new Set();
      namesIn(declarator.id, names);
      for (const name of names) declaredTimes.set(name, (declaredTimes.get(name) ?? 0) + 1);
    }
  }
  const qualifies = (declarator) =>
    declarator.init !== null &&
    declarator.id.type === 'Identifier' &&
    declaredTimes.get(declarator.id.name) === 1 &&
    !assigned.has(declarator.id.name);
  let code = source;
  let converted = 0;
  // From the end, so the offsets of the declarations still to rewrite do not move.
  for (const declaration of [...declarations].sort((a, b) => b.start - a.start)) {
    if (!declaration.declarations.every(qualifies) || code.slice(declaration.start, declaration.start + 3) !== 'var') continue;
    code = `${code.slice(0, declaration.start)}const${code.slice(declaration.start + 3)}`;
    converted++;
  }
  return { code, converted, kept: declarations.length - converted };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  let converted = 0;
  let kept = 0;
  for (const file of readdirSync(dist).filter((name) => name.endsWith('.js'))) {
    const target = path.join(dist, file);
    const result = restoreConst(readFileSync(target, 'utf8'));
    writeFileSync(target, result.code);
    converted += result.converted;
    kept += result.kept;
  }
  console.log(`top-level const: ${converted} declarations restored, ${kept} kept as var`);
}
