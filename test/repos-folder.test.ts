/**
 * repos/ as untrusted input: what is in the folder is never followed out of it, never read past a
 * bound, never printed beyond an excerpt; every entry is either read or named as a problem.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { reservedServiceNames } from "../chart/names";
import { MAX_FILE_BYTES, parseLocations, readLocationFiles } from "../locations/load";
import { formatProblem } from "../locations/problems";
import { ValidationContext } from "../locations/validate";

const GOOD = "image: registry.example.com/team/etl:1.4.2\nmodule: etl.definitions\n";
const ctx: ValidationContext = { reservedEnv: new Set(), reservedEnvPrefixes: ["DAGSTER_CLOUD_"], reservedServiceNames: new Set(reservedServiceNames()) };

function folder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "repos-untrusted-"));
}

/** Reads and validates a folder as the program does; the messages as printed. */
function read(dir: string): { names: string[]; messages: string[] } {
  const files = readLocationFiles(dir, "repos");
  const parsed = parseLocations(files.files, ctx);
  return { names: parsed.locations.map((l) => l.name), messages: [...files.problems, ...parsed.problems].map(formatProblem) };
}

describe("repos/ as untrusted input", () => {
  it("a symbolic link out of the folder is refused, named, and never read", () => {
    const dir = folder();
    const outside = path.join(folder(), "secret.yaml");
    fs.writeFileSync(outside, "image: TOP-SECRET-CONTENT-4f1a\n");
    fs.symlinkSync(outside, path.join(dir, "etl.yaml"));
    const { messages } = read(dir);
    assert.equal(messages.length, 1, messages.join("\n"));
    assert.match(messages[0], /^repos\/etl\.yaml: \(file\): is a symbolic link out of the folder \(to ".*secret\.yaml"\); it is not read/);
    assert.ok(!messages[0].includes("TOP-SECRET"), messages[0]);
  });

  it("a symbolic link inside the folder is read like the file", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "etl.yaml"), GOOD);
    fs.symlinkSync(path.join(dir, "etl.yaml"), path.join(dir, "etl-copy.yaml"));
    assert.deepEqual(read(dir), { names: ["etl", "etl-copy"], messages: [] });
  });

  it("a dangling link, a folder, and a pipe are refused without being opened", () => {
    const dir = folder();
    fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "a.yaml"));
    fs.mkdirSync(path.join(dir, "b.yaml"));
    execFileSync("mkfifo", [path.join(dir, "c.yaml")]);
    const { messages } = read(dir);
    assert.deepEqual(messages, [
      "repos/a.yaml: (file): is a symbolic link to nothing (replace the link by the file itself)",
      "repos/b.yaml: (file): is a folder; code-location files are not read from subfolders (move its files up into the folder, or out of it)",
      "repos/c.yaml: (file): is not a regular file (a device, pipe or socket); it is not read (remove it)",
    ]);
  });

  it(`a file over ${MAX_FILE_BYTES} bytes is refused without being read`, () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "big.yaml"), Buffer.alloc(4 * 1024 * 1024 + 1, "#"));
    fs.writeFileSync(path.join(dir, "max.yaml"), Buffer.concat([Buffer.from(GOOD), Buffer.alloc(4 * 1024 * 1024 - GOOD.length, "#")]));
    assert.deepEqual(read(dir).messages, ["repos/big.yaml: (file): is 4,194,305 bytes; a code-location file is at most 4,194,304 bytes, so it is not read (a location file holds a few settings, not data)"]);
  });

  it("a file that is not UTF-8", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "etl.yaml"), Buffer.from([0x69, 0x6d, 0xff, 0xfe, 0x0a]));
    assert.deepEqual(read(dir).messages, ["repos/etl.yaml: (file): is not UTF-8 text (save it as UTF-8)"]);
  });

  it("other extensions and cases are refused, not skipped; Markdown and dotfiles are ignored", () => {
    const dir = folder();
    for (const f of ["etl.YAML", "ml.Yml", "x.json", "notes", "README.md", "NOTES.MD", ".gitkeep", ".hidden.yaml"]) fs.writeFileSync(path.join(dir, f), GOOD);
    assert.deepEqual(read(dir).messages, [
      'repos/etl.YAML: (file): has the extension ".YAML", not .yaml or .yml, so it is not read (rename it to "etl.yaml")',
      'repos/ml.Yml: (file): has the extension ".Yml", not .yaml or .yml, so it is not read (rename it to "ml.yaml")',
      "repos/notes: (file): is not a code-location file (<name>.yaml) (only <name>.yaml files, Markdown (*.md) and dotfiles may be in this folder: rename it or move it out)",
      "repos/x.json: (file): is not a code-location file (<name>.yaml) (only <name>.yaml files, Markdown (*.md) and dotfiles may be in this folder: rename it or move it out)",
    ]);
  });

  it("a folder that does not exist", () => {
    assert.deepEqual(read(path.join(folder(), "missing")).messages, ["repos: cannot read the folder: ENOENT (create it, or point reposDir at the folder of code-location files)"]);
  });

  it("an alias bomb is a problem of its file; other files' problems are still reported", () => {
    const dir = folder();
    const aliases = `${GOOD}env:\n  A: &x v\nlabels: {a: b}\nsecrets:\n${"  - *x\n".repeat(150)}`;
    fs.writeFileSync(path.join(dir, "bomb.yaml"), aliases);
    fs.writeFileSync(path.join(dir, "laughs.yaml"), "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
    fs.writeFileSync(path.join(dir, "other.yaml"), "module: m\n");
    const { messages } = read(dir);
    assert.deepEqual(messages, [
      "repos/bomb.yaml: refused as YAML: its aliases expand more than 100 times (write the settings out plainly; a code location needs no anchors or aliases)",
      "repos/laughs.yaml: refused as YAML: its aliases expand more than 100 times (write the settings out plainly; a code location needs no anchors or aliases)",
      "repos/other.yaml: image: is missing (set a pinned image, e.g. image: registry.example.com/team/etl:1.4.2)",
    ]);
  });

  it("a few aliases are fine", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "etl.yaml"), `${GOOD}labels: {team: &t data}\nnodeSelector: {team: *t}\n`);
    assert.deepEqual(read(dir), { names: ["etl"], messages: [] });
  });

  it("deep nesting is a problem of its file, reported briefly", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "deep.yaml"), `a: ${"[".repeat(20000)}${"]".repeat(20000)}\n`);
    const { messages } = read(dir);
    assert.ok(messages.length <= 6, `${messages.length} messages`);
    assert.ok(messages.every((m) => m.startsWith("repos/deep.yaml")), messages.join("\n"));
  });

  it("a value from a file is printed as an excerpt only", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "etl.yaml"), `image: ${"x".repeat(200_000)}\nmodule: m\n`);
    const { messages } = read(dir);
    assert.equal(messages.length, 1);
    assert.ok(messages[0].length < 400, `${messages[0].length} characters`);
    assert.match(messages[0], /"x{40}"… \(200,000 characters\)/);
  });

  it("a file that holds a long scalar, not a mapping, prints an excerpt", () => {
    const dir = folder();
    fs.writeFileSync(path.join(dir, "etl.yaml"), `"${"SECRET=1 ".repeat(1000)}"\n`);
    const { messages } = read(dir);
    assert.match(messages[0], /the file holds "SECRET=1 SECRET=1 SECRET=1 SECRET=1 SECR"… \(9,000 characters\), not a mapping/);
  });

});
