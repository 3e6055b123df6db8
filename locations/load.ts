import * as fs from "fs";
import * as path from "path";
import { LineCounter, parseAllDocuments } from "yaml";
import { Problem } from "./problems";
import { CodeLocation } from "./types";
import { ValidationContext, validateLocation } from "./validate";

export interface LocationFile {
  /** Path as shown in messages, e.g. `repos/etl.yaml`. */
  file: string;
  text: string;
}

const YAML_FILE = /^(?!\.)(.+)\.ya?ml$/;

/** The location name a file defines, or undefined for files that are not code locations (README, dotfiles). */
export function locationNameOf(fileName: string): string | undefined {
  return YAML_FILE.exec(fileName)?.[1];
}

/** Reads the YAML files of a folder, sorted by name; everything else in it is ignored. */
export function readLocationFiles(dir: string, displayDir = dir): { files: LocationFile[]; problems: Problem[] } {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => locationNameOf(n) !== undefined && fs.statSync(path.join(dir, n)).isFile());
  } catch (e) {
    return { files: [], problems: [{ source: displayDir, field: "", message: `cannot read the folder: ${(e as Error).message}`, hint: "create it, or point reposDir at the folder of code-location files" }] };
  }
  names.sort();
  return {
    files: names.map((n) => ({ file: path.posix.join(displayDir, n), text: fs.readFileSync(path.join(dir, n), "utf8") })),
    problems: [],
  };
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
      problems.push({
        source: file,
        field: "(file name)",
        message: `defines the location "${name}" again; ${previous} already does`,
        hint: "keep one file per location (a .yaml and a .yml of the same name count as the same)",
      });
      continue;
    }
    byName.set(name, file);

    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
    const list = Array.isArray(docs) ? docs : [docs];
    const syntax = list.flatMap((d) => d.errors);
    if (syntax.length > 0) {
      for (const err of syntax) {
        const pos = lines.linePos(err.pos[0]);
        problems.push({
          source: file,
          field: "",
          message: `YAML syntax error: ${err.message.split("\n")[0]}`,
          hint: "fix the YAML; a linter such as yamllint shows the spot",
          line: pos?.line,
          column: pos?.col,
        });
      }
      continue;
    }
    if (list.length > 1) {
      problems.push({ source: file, field: "", message: `holds ${list.length} YAML documents`, hint: "one location per file: remove the extra --- documents" });
      continue;
    }
    const doc = list.length === 0 ? null : list[0].toJS({ maxAliasCount: 100 });
    const result = validateLocation(name, file, doc, ctx);
    problems.push(...result.problems);
    if (result.location) locations.push(result.location);
  }
  locations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return problems.length > 0 ? { locations: [], problems } : { locations, problems };
}
