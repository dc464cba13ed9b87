import { posix } from 'node:path';
import { UserError } from '@drover/shared/errors';

/**
 * `.dockerignore` with Docker's own semantics (moby/patternmatcher, as the docker CLI applies it to a
 * build context): one pattern a line, `#` comments, `!` exceptions, the last matching pattern wins,
 * a pattern matching a parent directory matches everything below it, `*` and `?` never cross `/`,
 * `**` crosses any number of directories, `[…]` classes and `\` escapes.
 */

export interface IgnorePattern {
  /** The cleaned pattern, without `!`. */
  pattern: string;
  exclusion: boolean;
  regexp: RegExp;
}

/** Reads the file's lines into patterns the way the docker CLI does (BOM, comments, trimming, `filepath.Clean`, leading `/`). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = posix.normalize(pattern).replace(/\/+$/, '') || '/';
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

const REGEXP_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

/** Go's filepath.Match syntax (plus `**`) as an anchored regular expression. */
function compile(pattern: string): RegExp {
  let re = '^';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (inClass) {
      if (ch === ']') inClass = false;
      if (ch === '\\' && i + 1 < pattern.length) {
        re += `\\${pattern[++i]}`;
        continue;
      }
      re += ch;
      continue;
    }
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      inClass = true;
      re += '[';
    } else if (ch === '\\') {
      re += i + 1 < pattern.length ? `\\${pattern[++i]}` : '\\\\';
    } else if (REGEXP_SPECIAL.has(ch)) {
      re += `\\${ch}`;
    } else {
      re += ch;
    }
  }
  re += '$';
  try {
    return new RegExp(re, 'u');
  } catch {
    throw new UserError(`.dockerignore: bad pattern ${JSON.stringify(pattern)}`);
  }
}

export class DockerIgnore {
  readonly patterns: IgnorePattern[];

  constructor(lines: readonly string[]) {
    this.patterns = [];
    for (const raw of lines) {
      let p = raw.trim();
      if (p === '') continue;
      const exclusion = p.startsWith('!');
      if (exclusion) {
        if (p.length === 1) throw new UserError('.dockerignore: illegal exclusion pattern: "!"');
        p = p.slice(1);
      }
      p = posix.normalize(p).replace(/\/+$/, '') || '/';
      this.patterns.push({ pattern: p, exclusion, regexp: compile(p) });
    }
  }

  static fromText(text: string): DockerIgnore {
    return new DockerIgnore(parseDockerignore(text));
  }

  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Docker's MatchesOrParentMatches: is `path` (relative, `/`-separated) left out of the context? */
  ignores(path: string): boolean {
    const parent = posix.dirname(path);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let match = p.regexp.test(path);
      for (let i = 0; !match && i < parentDirs.length; i++) match = p.regexp.test(parentDirs.slice(0, i + 1).join('/'));
      if (match) matched = !p.exclusion;
    }
    return matched;
  }

  /** For an ignored directory: must the walk still enter it, because an exception (`!dir/file`) may re-include something below? */
  mustDescend(dir: string): boolean {
    const prefix = `${dir}/`;
    return this.patterns.some((p) => p.exclusion && `${p.pattern}/`.startsWith(prefix));
  }

  /**
   * The docker CLI never leaves out `.dockerignore` or the Dockerfile, even when a pattern says so
   * (it appends `!.dockerignore` / `!<dockerfile>` exceptions; TrimBuildFilesFromExcludes).
   */
  keeping(files: readonly string[]): DockerIgnore {
    const lines = this.patterns.map((p) => (p.exclusion ? `!${p.pattern}` : p.pattern));
    for (const f of files) if (this.ignores(f)) lines.push(`!${f}`);
    return new DockerIgnore(lines);
  }
}
