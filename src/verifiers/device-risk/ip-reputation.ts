import { readFileSync } from 'node:fs';
import { CidrTrie } from './cidr-trie.js';
import type { PolicyAction } from './signals.js';

/** One named reputation list (e.g. `tor`, `hosting`). */
export interface IpListOptions {
  /** Name used in reasons and as the policy condition `ip:<name>`. */
  name: string;
  /** CIDRs or single addresses. */
  cidrs?: readonly string[];
  /** A file with one CIDR per line (`#` comments and blank lines ignored), read once at construction. */
  file?: string;
  /** What a hit does. Default `monitor`. */
  action?: PolicyAction;
  /** Score weight of a hit. Default 25. */
  weight?: number;
}

/** IP reputation: an allowlist that exempts addresses from every list, and named lists. */
export interface IpReputationOptions {
  /** Addresses never reported on any list (office ranges, monitoring). */
  allow?: readonly string[];
  lists?: readonly IpListOptions[];
}

/** A compiled reputation lookup. */
export interface IpReputation {
  /** Names of the lists `ip` is on (empty when allowlisted). */
  lookup(ip: string): string[];
  /** Action and weight of each list, by name. */
  readonly lists: ReadonlyMap<string, { action: PolicyAction; weight: number }>;
}

/**
 * Builds the tries once; invalid CIDRs throw with the list name and line so a bad file fails at startup, as do a
 * name used twice and a list without entries.
 */
export function compileIpReputation(options: IpReputationOptions = {}): IpReputation {
  const allow = new CidrTrie<true>();
  for (const cidr of options.allow ?? []) allow.insert(cidr, true);
  const trie = new CidrTrie<string>();
  const lists = new Map<string, { action: PolicyAction; weight: number }>();
  for (const list of options.lists ?? []) {
    // One name, one list: a second list of that name would replace the first's action and weight for the addresses
    // of both (a `deny` list silently judged by another's `allow`).
    if (lists.has(list.name)) throw new TypeError(`IP list "${list.name}" is defined twice`);
    lists.set(list.name, { action: list.action ?? 'monitor', weight: list.weight ?? 25 });
    const entries = [...(list.cidrs ?? []), ...(list.file ? readListFile(list.file) : [])];
    // A list without a single entry (a truncated download, an unset variable) matches nothing: refuse it rather than
    // run as if every address were clean.
    if (entries.length === 0) throw new TypeError(`IP list "${list.name}" has no entries`);
    entries.forEach((cidr, i) => {
      try {
        trie.insert(cidr, list.name);
      } catch {
        throw new TypeError(`IP list "${list.name}": entry ${i + 1} is not a CIDR or address`);
      }
    });
  }
  const empty = lists.size === 0;
  return {
    lists,
    lookup(ip) {
      if (empty || allow.lookup(ip).length > 0) return [];
      const hits = trie.lookup(ip);
      // A fresh array: the verdict that holds it is handed to the application.
      return hits.length === 0 ? [] : [...new Set(hits)];
    },
  };
}

function readListFile(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => {
      const hash = line.indexOf('#');
      return (hash < 0 ? line : line.slice(0, hash)).trim();
    })
    .filter((line) => line.length > 0);
}
