/**
 * Reading repos/: the folder is untrusted input (anyone can open a pull request). Nothing outside
 * it is ever opened, no file is read past a size bound, YAML is parsed with alias and depth limits,
 * and a file's content is never printed beyond a short excerpt of a value.
 */
import * as fs from "fs";
import * as path from "path";
import { LineCounter, parseAllDocuments } from "yaml";
import { MAX_PROBLEMS_PER_FILE, Problem, excerpt } from "./problems";
import { CodeLocation } from "./types";
import { helmSizeProblem, unsafeStrings } from "./untrusted";
import { ValidationContext, validateLocation } from "./validate";

export interface LocationFile {
  /** Path as shown in messages, e.g. `repos/etl.yaml`. */
  file: string;
  text: string;
}

/** The largest code-location file read (a location file is a few hundred bytes). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** The most lines a location file may have (see parseYaml). */
export const MAX_LINES = 10_000;
/** YAML alias expansions per file (yaml's maxAliasCount): more is a "billion laughs" bomb, not a code location. */
export const MAX_ALIASES = 100;
/** YAML syntax errors reported per file: the first few locate the trouble. */
const MAX_SYNTAX_ERRORS = 5;

const YAML_FILE = /^(?!\.)(.+)\.ya?ml$/;
const YAML_ANY_CASE = /^(?!\.)(.+)\.ya?ml$/i;

/** The location name a file defines, or undefined for files that are not code locations. */
export function locationNameOf(fileName: string): string | undefined {
  return YAML_FILE.exec(fileName)?.[1];
}

/** What the folder may hold besides locations: dotfiles and Markdown (its README), which are ignored. */
function isIgnored(name: string): boolean {
  return name.startsWith(".") || /\.md$/i.test(name);
}

const fileProblem = (file: string, message: string, hint: string): Problem => ({ source: file, field: "(file)", message, hint });

/** Why a folder entry cannot be read as a location file, or undefined (then `real` is what to read). */
function entryProblem(dir: string, realDir: string, name: string, file: string): Problem | undefined {
  const p = path.join(dir, name);
  let st = fs.lstatSync(p);
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = fs.realpathSync(p);
    } catch {
      return fileProblem(file, "is a symbolic link to nothing", "replace the link by the file itself");
    }
    if (path.relative(realDir, target).startsWith("..") || path.isAbsolute(path.relative(realDir, target))) {
      return fileProblem(file, `is a symbolic link out of the folder (to ${excerpt(target)}); it is not read`, "put the file itself in the folder");
    }
    st = fs.statSync(target);
  }
  if (st.isDirectory()) return fileProblem(file, "is a folder; code-location files are not read from subfolders", "move its files up into the folder, or out of it");
  if (!st.isFile()) return fileProblem(file, "is not a regular file (a device, pipe or socket); it is not read", "remove it");
  if (st.size > MAX_FILE_BYTES) {
    return fileProblem(file, `is ${st.size.toLocaleString("en-US")} bytes; a code-location file is at most ${MAX_FILE_BYTES.toLocaleString("en-US")} bytes, so it is not read`, "a location file holds a few settings, not data");
  }
  return undefined;
}

/** Why a file name is not one of a location, or undefined. */
function nameProblem(name: string, file: string): Problem | undefined {
  if (locationNameOf(name) !== undefined) return undefined;
  const any = YAML_ANY_CASE.exec(name);
  if (any) return fileProblem(file, `has the extension ${excerpt(name.slice(any[1].length))}, not .yaml or .yml, so it is not read`, `rename it to ${excerpt(`${any[1]}.yaml`)}`);
  return fileProblem(file, "is not a code-location file (<name>.yaml)", "only <name>.yaml files, Markdown (*.md) and dotfiles may be in this folder: rename it or move it out");
}

function capped(file: string, problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS_PER_FILE) return problems;
  const rest = problems.length - MAX_PROBLEMS_PER_FILE;
  return [
    ...problems.slice(0, MAX_PROBLEMS_PER_FILE),
    { source: file, field: "", message: `… and ${rest.toLocaleString("en-US")} more problem${rest === 1 ? "" : "s"} in this file`, hint: "fix these first" },
  ];
}

/** Reads the location files of a folder, sorted by name; every other entry is named as a problem. */
export function readLocationFiles(dir: string, displayDir = dir): { files: LocationFile[]; problems: Problem[] } {
  let names: string[];
  let realDir: string;
  try {
    // The folder itself may not be a link either: a pull request could replace repos/ with a link
    // to anywhere on the runner, and the plan would read (and name the keys of) what is there.
    if (fs.lstatSync(dir).isSymbolicLink()) {
      return { files: [], problems: [{ source: displayDir, field: "", message: "is a symbolic link; the folder of code locations is read only where it is", hint: "point reposDir (or --repos) at the folder itself" }] };
    }
    realDir = fs.realpathSync(dir);
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    return { files: [], problems: [{ source: displayDir, field: "", message: `cannot read the folder: ${(e as NodeJS.ErrnoException).code ?? "error"}`, hint: "create it, or point reposDir at the folder of code-location files" }] };
  }
  const files: LocationFile[] = [];
  const problems: Problem[] = [];
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (const name of names) {
    if (isIgnored(name)) continue;
    const file = path.posix.join(displayDir, name);
    const problem = nameProblem(name, file) ?? entryProblem(dir, realDir, name, file);
    if (problem) {
      problems.push(problem);
      continue;
    }
    try {
      files.push({ file, text: utf8.decode(fs.readFileSync(path.join(dir, name))) });
    } catch {
      problems.push(fileProblem(file, "is not UTF-8 text", "save it as UTF-8"));
    }
  }
  return { files, problems };
}

/** One file's YAML document as plain data, or its problems (syntax, several documents, limits). */
export function parseYaml(file: string, text: string): { doc: unknown } | { problems: Problem[] } {
  // The YAML library's duplicate-key check grows with the square of a mapping's size (a
  // 50,000-key file takes minutes): a location file is a few dozen lines, so a long one is refused
  // before it is parsed.
  const lineCount = text.split("\n", MAX_LINES + 2).length;
  if (lineCount > MAX_LINES + 1) {
    return { problems: [{ source: file, field: "", message: `has more than ${MAX_LINES.toLocaleString("en-US")} lines, so it is not read`, hint: "a location file holds a few settings, not data" }] };
  }
  const lines = new LineCounter();
  try {
    const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
    const list = Array.isArray(docs) ? docs : [docs];
    const syntax = list.flatMap((d) => d.errors);
    if (syntax.length > 0) {
      const problems: Problem[] = syntax.slice(0, MAX_SYNTAX_ERRORS).map((err) => {
        const pos = lines.linePos(err.pos[0]);
        const message = `YAML syntax error: ${err.message.split("\n")[0].slice(0, 200)}`;
        return { source: file, field: "", message, hint: "fix the YAML; a linter such as yamllint shows the spot", line: pos?.line, column: pos?.col };
      });
      if (syntax.length > MAX_SYNTAX_ERRORS) problems.push({ source: file, field: "", message: `… and ${syntax.length - MAX_SYNTAX_ERRORS} more YAML syntax errors` });
      return { problems };
    }
    if (list.length > 1) return { problems: [{ source: file, field: "", message: `holds ${list.length} YAML documents`, hint: "one location per file: remove the extra --- documents" }] };
    return { doc: list.length === 0 ? null : list[0].toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (e) {
    // yaml throws for alias expansion beyond maxAliasCount; deep nesting can exhaust the stack.
    const why = e instanceof RangeError ? "it is nested too deeply" : /alias/i.test(String((e as Error).message)) ? `its aliases expand more than ${MAX_ALIASES} times` : "it cannot be parsed";
    return { problems: [{ source: file, field: "", message: `refused as YAML: ${why}`, hint: "write the settings out plainly; a code location needs no anchors or aliases" }] };
  }
}

/**
 * Parses and validates every file. The result has locations only when there are no problems at
 * all: one bad file refuses the whole folder.
 */
export function parseLocations(files: readonly LocationFile[], ctx: ValidationContext): { locations: CodeLocation[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const locations: CodeLocation[] = [];
  const byName = new Map<string, string>();
  for (const { file, text } of files) {
    const name = locationNameOf(path.posix.basename(file));
    if (name === undefined) continue;
    const previous = byName.get(name);
    if (previous !== undefined) {
      problems.push({ source: file, field: "(file name)", message: `defines the location "${name}" again; ${previous} already does`, hint: "keep one file per location (a .yaml and a .yml of the same name count as the same)" });
      continue;
    }
    byName.set(name, file);
    const parsed = parseYaml(file, text);
    if ("problems" in parsed) {
      problems.push(...capped(file, parsed.problems));
      continue;
    }
    const unsafe = unsafeStrings(parsed.doc, file);
    const tooBig = helmSizeProblem(parsed.doc, file, text.length);
    const result = validateLocation(name, file, parsed.doc, ctx);
    problems.push(...capped(file, [...unsafe, ...(tooBig ? [tooBig] : []), ...result.problems]));
    // Any problem (unsafe strings and size included) refuses every location below.
    if (result.location) locations.push(result.location);
  }
  // Names are unique here (a second file of a name is refused above).
  locations.sort((a, b) => (a.name < b.name ? -1 : 1));
  return problems.length > 0 ? { locations: [], problems } : { locations, problems };
}
