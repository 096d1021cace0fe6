// model-check.mjs: checks a JSON answer against a model of @dynamic-labs/sdk-api-core
//
// The rules are not kept by hand: they are read from the package's own src/models/*.d.ts (the
// interfaces the generated ...FromJSON functions return, and their enums), so the check follows
// the installed version. A member without "?" is required; one whose type has no "| null" must
// not be null; Date is an ISO 8601 string; Array<T>, nested models and enums are checked
// recursively. Types this reader does not know (inline object types, type aliases) pass as any
// value, and are counted in `unknownTypes` so that a silent gap shows. The name a member has on
// the wire is read from the model's generated .js (its FromJSONTyped reads json['wire_name']):
// some differ from the TypeScript name, e.g. publicIdentifier is public_identifier.
//
// Copyright 2026 Keyturn developers
// SPDX-License-Identifier: GPL-3.0-or-later

import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export class ModelReader {
  constructor (modelsDir) {
    this.dir = modelsDir;
    this.cache = new Map();
    this.unknownTypes = new Set();
  }

  // { kind: 'interface', members: [{name, optional, type}] } or { kind: 'enum', values: [...] }
  // or null when there is no such model file.
  read (name) {
    if (this.cache.has(name))
      return this.cache.get(name);
    const path = join(this.dir, `${name}.d.ts`);
    let model = null;
    if (existsSync(path))
      model = parseDeclaration(readFileSync(path, 'utf8'), name);
    const js = join(this.dir, `${name}.js`);
    if (model?.kind === 'interface' && existsSync(js)) {
      const wire = new Map();
      for (const m of readFileSync(js, 'utf8').matchAll(/^\s*'([\w$]+)': .*?json\['([^']+)'\]/gm))
        if (!wire.has(m[1]))
          wire.set(m[1], m[2]);
      for (const member of model.members)
        member.wire = wire.get(member.name) ?? member.name;
    }
    this.cache.set(name, model);
    return model;
  }

  // Problems with @value as model @name, each "path: what is wrong"; [] when it conforms.
  check (name, value, path = name) {
    const problems = [];
    this.checkType(name, value, path, problems);
    return problems;
  }

  checkType (type, value, path, problems) {
    type = type.trim();
    const alternatives = splitUnion(type);
    if (alternatives.length > 1) {
      if (value === null && alternatives.includes('null'))
        return;
      const rest = alternatives.filter(t => t !== 'null');
      if (rest.length === 1)
        return this.checkType(rest[0], value, path, problems);
      return;                 // a union of several models: not in the flow's answers
    }
    if (value === null) {
      problems.push(`${path}: null where the model's type is ${type}, not nullable`);
      return;
    }
    const array = /^Array<(.*)>$/s.exec(type);
    if (array) {
      if (!Array.isArray(value)) {
        problems.push(`${path}: ${describe(value)} where the model wants an array`);
        return;
      }
      value.forEach((v, i) => this.checkType(array[1], v, `${path}[${i}]`, problems));
      return;
    }
    switch (type) {
    case 'string':
    case 'number':
    case 'boolean':
      if (typeof value !== type)
        problems.push(`${path}: ${describe(value)} where the model wants a ${type}`);
      return;
    case 'Date':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
        problems.push(`${path}: ${describe(value)} where the model wants an ISO 8601 date`);
      return;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value))
        problems.push(`${path}: ${describe(value)} where the model wants an object`);
      return;
    case 'any':
      return;
    }
    if (type.startsWith('{')) {
      if (typeof value !== 'object' || Array.isArray(value))
        problems.push(`${path}: ${describe(value)} where the model wants an object`);
      return;
    }
    if (!/^[A-Z][A-Za-z0-9]*$/.test(type)) {
      this.unknownTypes.add(type.replace(/\s+/g, ' ').slice(0, 40));
      return;
    }
    const model = this.read(type);
    if (model === null) {
      this.unknownTypes.add(type);
      return;
    }
    if (model.kind === 'enum') {
      if (!model.values.includes(value))
        problems.push(`${path}: ${JSON.stringify(value)} is not one of ${type} ` +
                      `(${model.values.join(', ')})`);
      return;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${path}: ${describe(value)} where the model wants a ${type} object`);
      return;
    }
    for (const member of model.members) {
      const key = member.wire ?? member.name;
      const present = Object.prototype.hasOwnProperty.call(value, key) && value[key] !== undefined;
      if (!present) {
        if (!member.optional)
          problems.push(`${path}.${key}: missing, required by ${type}`);
        continue;
      }
      this.checkType(member.type, value[key], `${path}.${key}`, problems);
    }
  }
}

function describe (value) {
  if (value === null)
    return 'null';
  if (Array.isArray(value))
    return 'an array';
  return `a ${typeof value} (${JSON.stringify(value).slice(0, 40)})`;
}

// Splits "A | B | null" at the top level only (not inside <...> or {...}).
function splitUnion (type) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (c === '<' || c === '{' || c === '(')
      depth++;
    else if (c === '>' || c === '}' || c === ')')
      depth--;
    else if (c === '|' && depth === 0) {
      parts.push(type.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(type.slice(start).trim());
  return parts.filter(p => p !== '');
}

function stripComments (text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function parseDeclaration (text, name) {
  text = stripComments(text);
  const enumMatch = new RegExp(`export\\s+(?:declare\\s+)?(?:const\\s+)?enum\\s+${name}\\s*\\{`)
                      .exec(text);
  if (enumMatch) {
    const body = text.slice(enumMatch.index + enumMatch[0].length, text.indexOf('}', enumMatch.index));
    const values = [...body.matchAll(/=\s*(['"])(.*?)\1/g)].map(m => m[2]);
    return { kind: 'enum', values };
  }
  const ifaceMatch = new RegExp(`export\\s+interface\\s+${name}\\s*(?:extends[^{]*)?\\{`).exec(text);
  if (!ifaceMatch)
    return null;
  // The body up to the matching brace; members are "name?: type;" at depth 0.
  let i = ifaceMatch.index + ifaceMatch[0].length, depth = 1, start = i;
  const members = [];
  for (; i < text.length && depth > 0; i++) {
    const c = text[i];
    if (c === '{' || c === '<')
      depth++;
    else if (c === '}' || c === '>')
      depth--;
    if ((c === ';' && depth === 1) || depth === 0) {
      const decl = text.slice(start, i).trim();
      start = i + 1;
      const m = /^(['"]?)([A-Za-z_$][\w$-]*)\1(\?)?\s*:\s*([\s\S]+)$/.exec(decl);
      if (m)
        members.push({ name: m[2], optional: m[3] === '?', type: m[4].trim() });
    }
  }
  return { kind: 'interface', members };
}
