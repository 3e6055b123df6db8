/**
 * Code-location fields as a user meets them: the whole normalised location an accepted file
 * becomes, and the whole line a refused one prints (file, field, value and the fix). Every
 * expected value is written out by hand from the file format (README, docs/code-locations.md)
 * and the Kubernetes, OCI and git rules the fields cite.
 */
import { strict as assert } from "assert";
import { chartImage, parseImage } from "../locations/image";
import { LocationFile, locationNameOf, parseLocations, parseYaml } from "../locations/load";
import { formatProblem } from "../locations/problems";
import { compareQuantities, parseQuantity } from "../locations/quantity";
import { looksSecret } from "../locations/secretLooking";
import { didYouMean, editDistance } from "../locations/suggest";
import { CodeLocation } from "../locations/types";
import { ValidationContext, validateLocation } from "../locations/validate";

const ctx: ValidationContext = { reservedEnv: new Set(), reservedEnvPrefixes: [], reservedServiceNames: new Set(["dagster-webserver-pods"]) };
const IMAGE = "registry.example.com/team/etl:1.4.2";
const GOOD = `image: ${IMAGE}\nmodule: etl.definitions\n`;

function parse(files: Record<string, string>): { locations: CodeLocation[]; messages: string[] } {
  const list: LocationFile[] = Object.entries(files).map(([name, text]) => ({ file: `repos/${name}`, text }));
  const result = parseLocations(list, ctx);
  return { locations: result.locations, messages: result.problems.map(formatProblem) };
}

/** The lines printed for etl.yaml, in order. */
const lines = (yaml: string) => parse({ "etl.yaml": yaml }).messages;

/** The one location etl.yaml becomes. */
function accepted(yaml: string): CodeLocation {
  const { locations, messages } = parse({ "etl.yaml": yaml });
  assert.deepEqual(messages, []);
  assert.equal(locations.length, 1);
  return locations[0];
}

/** Every field at its default, as docs/code-locations.md lists them. */
const DEFAULTS: CodeLocation = {
  name: "etl",
  file: "repos/etl.yaml",
  image: { reference: IMAGE, name: "registry.example.com/team/etl", tag: "1.4.2", digest: undefined },
  target: { kind: "module", value: "etl.definitions" },
  imagePullPolicy: "IfNotPresent",
  port: 3030,
  codeServer: false,
  includeConfigInLaunchedRuns: true,
  env: {},
  secrets: [],
  configMaps: [],
  nodeSelector: {},
  tolerations: [],
  labels: {},
  annotations: {},
};

describe("code-location fields, as a user meets them", () => {
  describe("what an accepted file becomes", () => {
    it("the smallest file: every default, and no optional field written as undefined", () => {
      assert.deepEqual(accepted(GOOD), DEFAULTS);
    });

    it("null (~) is the same as leaving a key out", () => {
      const nulls = ["imagePullPolicy", "package", "file", "attribute", "workingDirectory", "port", "codeServer", "env", "secrets", "configMaps",
        "resources", "runResources", "nodeSelector", "tolerations", "labels", "annotations", "includeConfigInLaunchedRuns", "git"];
      assert.deepEqual(accepted(`${GOOD}${nulls.map((k) => `${k}: ~\n`).join("")}`), DEFAULTS);
    });

    it("every field away from its default", () => {
      const loc = accepted([
        `image: ${IMAGE}`, "package: etl_pkg", "attribute: defs", "workingDirectory: /opt/app", "port: 4000", "imagePullPolicy: Always",
        "codeServer: true", "includeConfigInLaunchedRuns: false", "env: {B: x, A: y}", "secrets: [s1, s2]", "configMaps: [c1]",
        "resources: {requests: {cpu: 250m}}", "runResources: {requests: ~, limits: {memory: 1Gi}}", "nodeSelector: {pool: batch}",
        "tolerations: [{key: k, operator: ~, value: v, effect: ~, tolerationSeconds: ~}, {key: d, operator: Exists, effect: NoExecute, tolerationSeconds: 0}]",
        "labels: {team: data}", "annotations: {example.com/owner: data}",
        "git: {sha: abcdef0, branch: main, repository: \"https://git.example.com/acme/etl\"}",
      ].join("\n"));
      assert.deepEqual(loc, {
        ...DEFAULTS,
        target: { kind: "package", value: "etl_pkg" },
        attribute: "defs",
        workingDirectory: "/opt/app",
        port: 4000,
        imagePullPolicy: "Always",
        codeServer: true,
        includeConfigInLaunchedRuns: false,
        env: { A: "y", B: "x" },
        secrets: ["s1", "s2"],
        configMaps: ["c1"],
        resources: { requests: { cpu: "250m" } },
        runResources: { limits: { memory: "1Gi" } },
        nodeSelector: { pool: "batch" },
        tolerations: [{ key: "k", value: "v" }, { key: "d", operator: "Exists", effect: "NoExecute", tolerationSeconds: 0 }],
        labels: { team: "data" },
        annotations: { "example.com/owner": "data" },
        git: { sha: "abcdef0", branch: "main", repository: "https://git.example.com/acme/etl" },
      });
    });

    it("git metadata keeps exactly the keys that are set", () => {
      assert.deepEqual(accepted(`${GOOD}git: {sha: abcdef0}\n`).git, { sha: "abcdef0" });
      assert.deepEqual(accepted(`${GOOD}git: {branch: main}\n`).git, { branch: "main" });
      assert.deepEqual(accepted(`${GOOD}git: {repository: "git@git.example.com:acme/etl.git"}\n`).git, { repository: "git@git.example.com:acme/etl.git" });
    });

    it("mappings come out with their keys in code-unit order", () => {
      const loc = accepted(`${GOOD}labels: {b: "1", a: "2", B: "3", a-b: "4"}\nresources: {requests: {memory: 1Gi, cpu: "1", ephemeral-storage: 1Gi}}\n`);
      assert.deepEqual(Object.keys(loc.labels), ["B", "a", "a-b", "b"]);
      assert.deepEqual(Object.keys(loc.resources?.requests ?? {}), ["cpu", "ephemeral-storage", "memory"]);
    });

    it("locations come out sorted by name, whatever order the files come in", () => {
      const { locations } = parse({ "b.yaml": GOOD, "a-b.yml": GOOD, "a.yaml": GOOD });
      assert.deepEqual(locations.map((l) => [l.name, l.file]), [["a", "repos/a.yaml"], ["a-b", "repos/a-b.yml"], ["b", "repos/b.yaml"]]);
    });

    it("the code target and port at their edges", () => {
      assert.deepEqual(accepted("image: a.io/b:1\nmodule: a\npackage: ~\nfile: ~\n").target, { kind: "module", value: "a" });
      assert.deepEqual(accepted("image: a.io/b:1\nfile: /app/my-defs.py\n").target, { kind: "file", value: "/app/my-defs.py" });
      assert.equal(accepted(`${GOOD}port: 1\n`).port, 1);
      assert.equal(accepted(`${GOOD}port: 65535\n`).port, 65535);
    });

    it("secrets and ConfigMaps up to 253 characters (a DNS subdomain)", () => {
      assert.deepEqual(accepted(`${GOOD}secrets: [${"s".repeat(253)}]\n`).secrets, ["s".repeat(253)]);
    });

    it("label keys whose prefix merely resembles Kubernetes' own", () => {
      assert.deepEqual(accepted(`${GOOD}labels: {a.k8s.iox: v, k8s.io: v, a.b/c: v}\n`).labels, { "a.b/c": "v", "a.k8s.iox": "v", "k8s.io": "v" });
    });

    it("git values at their edges", () => {
      assert.equal(accepted(`${GOOD}git: {branch: ${"b".repeat(255)}}\n`).git?.branch, "b".repeat(255));
      assert.equal(accepted(`${GOOD}git: {branch: feature.locker}\n`).git?.branch, "feature.locker");
      assert.equal(accepted(`${GOOD}git: {repository: "http://git.example.com/etl"}\n`).git?.repository, "http://git.example.com/etl");
      assert.equal(accepted(`${GOOD}git: {repository: "ssh://git@git.example.com/etl"}\n`).git?.repository, "ssh://git@git.example.com/etl");
    });

    it("huge pages with cpu or memory on either side", () => {
      for (const other of ["requests: {cpu: 1, hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 2Mi}", "requests: {memory: 1Gi, hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 2Mi}",
        "requests: {hugepages-2Mi: 2Mi}, limits: {cpu: 1, hugepages-2Mi: 2Mi}", "requests: {hugepages-2Mi: 2Mi}, limits: {memory: 1Gi, hugepages-2Mi: 2Mi}"]) {
        assert.ok(accepted(`${GOOD}resources: {${other}}\n`).resources, other);
      }
    });
  });

  describe("the line a refused file prints", () => {
    const cases: [string, string, string[]][] = [
      ["an image that is null", "image: ~\nmodule: m\n", ["repos/etl.yaml: image: is missing (set a pinned image, e.g. image: registry.example.com/team/etl:1.4.2)"]],
      ["an image that is a number", "image: 5\nmodule: m\n", ["repos/etl.yaml: image: 5 is not an image reference (write registry/path:tag or registry/path@sha256:<digest>)"]],
      ["an empty image", "image: \"\"\nmodule: m\n", ["repos/etl.yaml: image: \"\" is not a valid image reference: it is empty or has surrounding white space (write registry/path:tag or registry/path@sha256:<digest>)"]],
      ["an image tagged latest", "image: a.io/b:latest\nmodule: m\n", ["repos/etl.yaml: image: \"a.io/b:latest\" is not pinned: the tag is latest (use an immutable tag other than latest (e.g. :1.4.2 or a git sha), or @sha256:<digest>)"]],
      ["an image without a tag", "image: a.io/b\nmodule: m\n", ["repos/etl.yaml: image: \"a.io/b\" is not pinned: it has no tag, which means latest (use an immutable tag other than latest (e.g. :1.4.2 or a git sha), or @sha256:<digest>)"]],
      ["a pull policy far from any", `${GOOD}imagePullPolicy: 5\n`, ["repos/etl.yaml: imagePullPolicy: 5 is not a pull policy (use one of Always, IfNotPresent, Never)"]],
      ["two code targets", `${GOOD}package: p\n`, ["repos/etl.yaml: module+package: 2 code targets are set (module, package) (set exactly one of module:, package: or file:)"]],
      ["no code target", `image: ${IMAGE}\n`, ["repos/etl.yaml: module: no code target is set (set exactly one of module: (python module), package: (package name) or file: (python file))"]],
      ["a module that is no Python name", "image: a.io/b:1\nmodule: etl-x\n", ["repos/etl.yaml: module: \"etl-x\" is not a Python module name (use dotted identifiers, e.g. marketing_etl.definitions)"]],
      ["a file with a tab", "image: a.io/b:1\nfile: \"/app/x.py\\t\"\n", ["repos/etl.yaml: file: the path contains a control character (use a plain file path, e.g. /app/definitions.py)"]],
      ["port 0", `${GOOD}port: 0\n`, ["repos/etl.yaml: port: 0 is not a TCP port (use an integer between 1 and 65535 (default 3030))"]],
      ["port 65536", `${GOOD}port: 65536\n`, ["repos/etl.yaml: port: 65536 is not a TCP port (use an integer between 1 and 65535 (default 3030))"]],
      ["an attribute that is no identifier", `${GOOD}attribute: my-defs\n`, ["repos/etl.yaml: attribute: \"my-defs\" is not a Python identifier (name the Definitions or repository attribute, e.g. defs)"]],
      ["an attribute that is a number", `${GOOD}attribute: 5\n`, ["repos/etl.yaml: attribute: 5 is not a non-empty string (write it as text, quoted if needed)"]],
      ["a relative working directory", `${GOOD}workingDirectory: app\n`, ["repos/etl.yaml: workingDirectory: \"app\" is not an absolute path (use a path inside the image, e.g. /opt/dagster/app)"]],
      ["codeServer as text", `${GOOD}codeServer: "yes"\n`, ["repos/etl.yaml: codeServer: \"yes\" is not a boolean (use true or false)"]],
      ["includeConfigInLaunchedRuns as text", `${GOOD}includeConfigInLaunchedRuns: "no"\n`, ["repos/etl.yaml: includeConfigInLaunchedRuns: \"no\" is not a boolean (use true or false)"]],
      ["labels as a list", `${GOOD}labels: [a]\n`, ["repos/etl.yaml: labels: a list is not a mapping (write key: value pairs)"]],
      ["a label value that is null, a list, a mapping", `${GOOD}labels: {a: ~, b: [1], c: {d: 1}}\n`, [
        "repos/etl.yaml: labels.a: null is a null, not a string (values must be strings)",
        "repos/etl.yaml: labels.b: a list is a list, not a string (values must be strings)",
        "repos/etl.yaml: labels.c: a mapping is a object, not a string (values must be strings)",
      ]],
      ["a label the chart sets", `${GOOD}labels: {helm.sh/chart: x, component: y}\n`, [
        "repos/etl.yaml: labels.helm.sh/chart: \"helm.sh/chart\" is set by the chart itself; choose another label key",
        "repos/etl.yaml: labels.component: \"component\" is set by the chart itself; choose another label key",
      ]],
      ["the chart's app.kubernetes.io labels", `${GOOD}labels: {app.kubernetes.io/name: x}\n`, [
        "repos/etl.yaml: labels.app.kubernetes.io/name: the key \"app.kubernetes.io/name\" is invalid: the prefix \"app.kubernetes.io\" is reserved for Kubernetes itself; use a prefix of your own (e.g. acme.com/)",
      ]],
      ["a label key with a one-character prefix label", `${GOOD}labels: {a.b_/x: y}\n`, [
        "repos/etl.yaml: labels.a.b_/x: the key \"a.b_/x\" is invalid: the prefix \"a.b_\" must be a DNS subdomain (lowercase, at most 253 characters)",
      ]],
      ["secrets as a scalar", `${GOOD}secrets: a\n`, ["repos/etl.yaml: secrets: \"a\" is not a list (write a list of Secret names, e.g. [my-secret])"]],
      ["a secret name that is a list", `${GOOD}secrets: [[a]]\n`, ["repos/etl.yaml: secrets[0]: a list is not a Kubernetes Secret name (use lowercase letters, digits, \"-\" and \".\", at most 253 characters)"]],
      ["a secret name of 254 characters", `${GOOD}secrets: [${"s".repeat(254)}]\n`, [`repos/etl.yaml: secrets[0]: "${"s".repeat(40)}"… (254 characters) is not a Kubernetes Secret name (use lowercase letters, digits, "-" and ".", at most 253 characters)`]],
      ["a secret listed twice", `${GOOD}configMaps: [a, a]\n`, ["repos/etl.yaml: configMaps[1]: \"a\" is listed twice (list each name once)"]],
      ["an unknown git key far from any", `${GOOD}git: {zzzzzz: 1}\n`, ["repos/etl.yaml: git.zzzzzz: unknown key \"zzzzzz\" (known keys: sha, branch, repository)"]],
      ["git as a scalar", `${GOOD}git: abc\n`, ["repos/etl.yaml: git: \"abc\" is not a mapping (write {sha, branch, repository})"]],
      ["git values that are numbers", `${GOOD}git: {sha: 5, branch: 6, repository: 7}\n`, [
        "repos/etl.yaml: git.sha: 5 is not a non-empty string (write it as text, quoted if needed)",
        "repos/etl.yaml: git.branch: 6 is not a non-empty string (write it as text, quoted if needed)",
        "repos/etl.yaml: git.repository: 7 is not a non-empty string (write it as text, quoted if needed)",
      ]],
      ["a bad git sha", `${GOOD}git: {sha: xyz}\n`, ["repos/etl.yaml: git.sha: \"xyz\" is not a git commit sha (7 to 40 (or 64) lowercase hex characters, e.g. the output of git rev-parse HEAD)"]],
      ["a branch of 256 characters", `${GOOD}git: {branch: ${"b".repeat(256)}}\n`, [`repos/etl.yaml: git.branch: "${"b".repeat(40)}"… (256 characters) is not a git branch name (what git check-ref-format --branch accepts, at most 255 characters)`]],
      ["repositories that are no URL", `${GOOD}git: {repository: "see https://git.example.com/a"}\n`, ["repos/etl.yaml: git.repository: \"see https://git.example.com/a\" is not a repository URL (https://…, ssh://… or git@host:path)"]],
      ["a repository URL with a space", `${GOOD}git: {repository: "https://git.example.com/a b"}\n`, ["repos/etl.yaml: git.repository: \"https://git.example.com/a b\" is not a repository URL (https://…, ssh://… or git@host:path)"]],
      ["a NUL byte in a value and in a key", `${GOOD}env: {"A": "x\\0"}\nlabels: {"b\\0": c}\n`, [
        "repos/etl.yaml: env.A: contains a NUL byte (\\0), which no environment variable, label or Helm value can carry (remove it)",
        "repos/etl.yaml: labels.\"b\\u0000\": the key contains a NUL byte (\\0), which no environment variable, label or Helm value can carry (rename the key)",
        "repos/etl.yaml: labels.\"b\\u0000\": the key \"b\\u0000\" is invalid: the name \"b\\u0000\" must be 1-63 characters of letters, digits, \"-\", \"_\" or \".\", starting and ending alphanumeric",
      ]],
      ["a NUL byte at the top level", `${GOOD}"\\0": x\n`, [
        "repos/etl.yaml: \"\\u0000\": the key contains a NUL byte (\\0), which no environment variable, label or Helm value can carry (rename the key)",
        "repos/etl.yaml: \"\\u0000\": unknown key \"\\u0000\" (known keys: image, imagePullPolicy, module, package, file, attribute, workingDirectory, port, codeServer, env, secrets, configMaps, resources, runResources, nodeSelector, tolerations, labels, annotations, includeConfigInLaunchedRuns, git)",
      ]],
    ];
    for (const [what, yaml, expected] of cases) {
      it(what, () => assert.deepEqual(lines(yaml), expected));
    }

    it("env entries and totals over their limits, with the fix", () => {
      assert.deepEqual(lines(`${GOOD}env: {BIG: ${"x".repeat(131_072)}}\n`), [
        "repos/etl.yaml: env.BIG: is 131,076 bytes with its name; Linux starts no process with an environment string over 128 KiB (put large data in a ConfigMap mounted as a file, or in the image)",
      ]);
      const env = Array.from({ length: 11 }, (_, i) => `  V${String(i).padStart(2, "0")}: ${"x".repeat(100_000)}\n`).join("");
      assert.deepEqual(lines(`${GOOD}env:\n${env}`), [
        "repos/etl.yaml: env: holds 1,100,033 bytes; its ConfigMap may hold at most 1 MiB (1,048,576 bytes) with the platform's variables (move large values into the image or a ConfigMap of their own (configMaps:))",
      ]);
    });

    it("annotations over 256 KiB, with the fix", () => {
      assert.deepEqual(lines(`${GOOD}annotations: {a: ${"x".repeat(262_144)}}\n`), [
        "repos/etl.yaml: annotations: hold 262,145 bytes; Kubernetes allows at most 256 KiB (262,144 bytes) of annotations on an object (keep large data out of annotations (a ConfigMap, or the image))",
      ]);
    });

    it("a second file of the same location", () => {
      assert.deepEqual(parse({ "etl.yaml": GOOD, "etl.yml": GOOD }).messages, [
        "repos/etl.yml: (file name): defines the location \"etl\" again; repos/etl.yaml already does (keep one file per location (a .yaml and a .yml of the same name count as the same))",
      ]);
    });

    it("a name colliding with the platform's Service", () => {
      assert.deepEqual(parse({ "dagster-webserver-pods.yaml": GOOD }).messages, [
        "repos/dagster-webserver-pods.yaml: (file name): the location name \"dagster-webserver-pods\" is the name of a Service the platform creates in the namespace; the location's own Service would collide with it (rename the file)",
      ]);
    });

    it("a file name that is no DNS-1035 label suggests one", () => {
      const hint = (name: string) => parse({ [`${name}.yaml`]: GOOD }).messages[0].replace(/.*\(use lowercase letters, digits and "-", starting with a letter and ending alphanumeric/, "");
      assert.equal(hint("Data__Lake"), ', e.g. "data-lake.yaml")');
      assert.equal(hint("12etl"), ', e.g. "etl.yaml")');
      assert.equal(hint("etl--"), ', e.g. "etl.yaml")');
      assert.equal(hint("___"), ")");
      assert.equal(hint(`E${"t".repeat(60)}`), `, e.g. "e${"t".repeat(47)}.yaml")`);
    });

    it("an empty file, and one that is a list", () => {
      assert.deepEqual(lines(""), ["repos/etl.yaml: the file is empty (a code location needs at least image: and one of module:, package: or file:)"]);
      assert.deepEqual(lines("- a\n"), ["repos/etl.yaml: the file holds a list, not a mapping (write key: value pairs such as image: and module:)"]);
      assert.deepEqual(validateLocation("etl", "repos/etl.yaml", undefined, ctx).problems.map(formatProblem), ["repos/etl.yaml: the file is empty (a code location needs at least image: and one of module:, package: or file:)"]);
    });

    it("several YAML documents", () => {
      assert.deepEqual(lines(`${GOOD}---\n${GOOD}`), ["repos/etl.yaml: holds 2 YAML documents (one location per file: remove the extra --- documents)"]);
    });

    it("a YAML syntax error names its line and column, on one line", () => {
      const m = lines("image: a\nmodule: [\n");
      assert.equal(m.length, 1, m.join("\n"));
      assert.match(m[0], /^repos\/etl\.yaml:3:1: YAML syntax error: [^\n]+ \(fix the YAML; a linter such as yamllint shows the spot\)$/);
      assert.ok(!m[0].includes(" at line "), m[0]);
    });

    it("five syntax errors are all listed; seven are five and the count of the rest", () => {
      const dup = (n: number) => Array.from({ length: n + 1 }, () => "a: 1\n").join("");
      assert.equal(lines(dup(5)).length, 5);
      const seven = lines(dup(7));
      assert.equal(seven.length, 6);
      assert.equal(seven[5], "repos/etl.yaml: … and 2 more YAML syntax errors");
    });

    it("whole-file problems name no field", () => {
      assert.deepEqual(parseYaml("f", "a: 1\n---\nb: 2\n"), { problems: [{ source: "f", field: "", message: "holds 2 YAML documents", hint: "one location per file: remove the extra --- documents" }] });
    });
  });

  describe("resources", () => {
    const res = (r: string) => lines(`${GOOD}resources: ${r}\n`);
    it("sections that are not mappings", () => {
      assert.deepEqual(lines(`${GOOD}resources: [a]\n`), ["repos/etl.yaml: resources: a list is not a mapping (write requests: and limits: mappings, e.g. {requests: {cpu: 250m, memory: 512Mi}})"]);
      assert.deepEqual(lines(`${GOOD}runResources: {requests: [a]}\n`), ["repos/etl.yaml: runResources.requests: a list is not a mapping (write resource: quantity pairs, e.g. cpu: 250m)"]);
    });
    it("an unknown section", () => assert.deepEqual(res("{request: {cpu: 1}}"), ["repos/etl.yaml: resources.request: unknown key \"request\" (did you mean \"requests\"?)"]));
    it("names close to a standard one", () => {
      assert.deepEqual(res("{requests: {cpus: 1, ephemeral-storag: 1Gi}}"), [
        "repos/etl.yaml: resources.requests.cpus: unknown resource \"cpus\" (did you mean \"cpu\"?)",
        "repos/etl.yaml: resources.requests.ephemeral-storag: unknown resource \"ephemeral-storag\" (did you mean \"ephemeral-storage\"?)",
      ]);
    });
    it("a name that only ends like a huge-pages size", () => assert.deepEqual(res("{requests: {gpu-memory1Gi: 1}}"), [
      "repos/etl.yaml: resources.requests.gpu-memory1Gi: unknown resource \"gpu-memory1Gi\" (use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as nvidia.com/gpu)",
    ]));
    it("extended resource names Kubernetes refuses, with the fix", () => {
      assert.deepEqual(res("{limits: {a/b/c: 1, kubernetes.io/gpu: 1, requests.example.com/gpu: 1}}"), [
        "repos/etl.yaml: resources.limits.a/b/c: \"a/b/c\" is not a resource name: the key \"a/b/c\" has 2 slashes; a Kubernetes key is [prefix/]name with at most one (an extended resource is <domain>/<name>, e.g. nvidia.com/gpu)",
        "repos/etl.yaml: resources.limits.kubernetes.io/gpu: \"kubernetes.io/gpu\" is in Kubernetes' own kubernetes.io namespace, not an extended resource (extended resources are <your domain>/<name>, e.g. nvidia.com/gpu)",
        "repos/etl.yaml: resources.limits.requests.example.com/gpu: \"requests.example.com/gpu\" starts with \"requests.\", which Kubernetes reserves for quotas (drop the requests. prefix)",
      ]);
    });
    it("quantities that are not one, with the example for their unit", () => {
      assert.deepEqual(res("{requests: {cpu: [1], memory: lots, example.com/dongle: lots}, limits: {example.com/dongle: 1}}"), [
        "repos/etl.yaml: resources.requests.cpu: a list is not a Kubernetes quantity (e.g. cpu: 250m, memory: 512Mi)",
        "repos/etl.yaml: resources.requests.memory: \"lots\": it is not a Kubernetes quantity (e.g. 512Mi or 2Gi)",
        "repos/etl.yaml: resources.requests.example.com/dongle: \"lots\": it is not a Kubernetes quantity (e.g. 1)",
      ]);
    });
    it("negative, and finer than the unit", () => {
      assert.deepEqual(res("{requests: {cpu: -500m, memory: 512m}, limits: {cpu: 0.5m, example.com/dongle: 0.5}}"), [
        "repos/etl.yaml: resources.requests.cpu: \"-500m\" is negative (Kubernetes refuses negative resources)",
        "repos/etl.yaml: resources.requests.memory: \"512m\" is not a number of whole bytes for memory: Kubernetes rounds fractions of a byte up (m means thousandths: did you mean 512Mi?)",
        "repos/etl.yaml: resources.limits.cpu: \"0.5m\" is not a number of whole millicores for cpu: Kubernetes rounds finer CPU up to 1m (e.g. 250m or 1)",
        "repos/etl.yaml: resources.limits.example.com/dongle: \"0.5\" is not a number of whole units for example.com/dongle: an extended resource cannot be split (e.g. 1)",
      ]);
    });
    it("requests against limits, with the fix", () => {
      assert.deepEqual(res("{requests: {example.com/dongle: 1, memory: 2Gi, hugepages-2Mi: 2Mi}, limits: {example.com/dongle: 2, memory: 1Gi}}"), [
        "repos/etl.yaml: resources.requests.example.com/dongle: the request 1 is not equal to the limit 2 (example.com/dongle cannot be overcommitted: Kubernetes requires the request to equal the limit)",
        "repos/etl.yaml: resources.requests.memory: the request 2Gi is larger than the limit 1Gi (Kubernetes rejects such a pod; raise the limit or lower the request)",
        "repos/etl.yaml: resources.limits.hugepages-2Mi: is missing: hugepages-2Mi is requested, and Kubernetes requires a limit for it (set limits: {hugepages-2Mi: 2Mi} (equal to the request: it cannot be overcommitted))",
      ]);
      assert.deepEqual(lines(`${GOOD}runResources: {requests: {hugepages-2Mi: 2Mi}, limits: {hugepages-2Mi: 2Mi}}\n`), [
        "repos/etl.yaml: runResources: huge pages are requested without cpu or memory (Kubernetes requires cpu or memory alongside hugepages-<size>)",
      ]);
    });
  });

  describe("tolerations", () => {
    const tol = (t: string) => lines(`${GOOD}tolerations: [${t}]\n`);
    it("null fields are unset", () => {
      assert.deepEqual(accepted(`${GOOD}tolerations: [{key: k, operator: ~, effect: ~, tolerationSeconds: ~}, {operator: Exists, key: ~}]\n`).tolerations, [{ key: "k" }, { operator: "Exists" }]);
    });
    it("each refusal with its field and fix", () => {
      assert.deepEqual(tol("{key: 5, operator: Exists}"), ["repos/etl.yaml: tolerations[0].key: 5 is not a non-empty string (write it as text, quoted if needed)"]);
      assert.deepEqual(tol("{key: k, value: 5}"), ["repos/etl.yaml: tolerations[0].value: 5 is not a non-empty string (write it as text, quoted if needed)"]);
      assert.deepEqual(tol("{key: k, operator: In}"), ["repos/etl.yaml: tolerations[0].operator: \"In\" is not Exists or Equal (use Exists or Equal (Equal when unset))"]);
      assert.deepEqual(tol("{key: k, operator: Exists, value: v}"), ["repos/etl.yaml: tolerations[0].value: is set, but operator is Exists (Kubernetes requires no value with Exists: drop value or use operator Equal)"]);
      assert.deepEqual(tol("{key: k, operator: Exists, effect: Never}"), ["repos/etl.yaml: tolerations[0].effect: \"Never\" is not a taint effect (use NoSchedule, PreferNoSchedule or NoExecute (or leave it unset for all))"]);
      assert.deepEqual(tol("{key: k, operator: Exists, effect: NoExecute, tolerationSeconds: -1}"), ["repos/etl.yaml: tolerations[0].tolerationSeconds: -1 is not a whole number of seconds (0 or more (Kubernetes treats less as 0))"]);
      assert.deepEqual(tol("{key: k, operator: Exists, tolerationSeconds: 5}"), ["repos/etl.yaml: tolerations[0].tolerationSeconds: is set, but effect is not NoExecute (Kubernetes requires effect NoExecute with tolerationSeconds: set it or drop tolerationSeconds)"]);
      assert.deepEqual(tol("{operator: Equal}"), ["repos/etl.yaml: tolerations[0].operator: is Equal with no key (Kubernetes requires operator Exists when key is empty (which tolerates every taint))"]);
      assert.deepEqual(tol("x"), ["repos/etl.yaml: tolerations[0]: \"x\" is not a mapping (write {key, operator, value, effect})"]);
      assert.deepEqual(lines(`${GOOD}tolerations: x\n`), ["repos/etl.yaml: tolerations: \"x\" is not a list (write a list of {key, operator, value, effect} mappings)"]);
    });
  });

  describe("file names", () => {
    it("only <name>.yaml and <name>.yml name a location", () => {
      assert.equal(locationNameOf("etl.yaml"), "etl");
      assert.equal(locationNameOf("etl.yml"), "etl");
      assert.equal(locationNameOf("etl.yaml.bak"), undefined);
      assert.equal(locationNameOf("etl.YAML"), undefined);
      assert.equal(locationNameOf(".yaml"), undefined);
    });
  });
});

describe("rule building blocks, at their edges", () => {
  it("image references", () => {
    const hex = "a".repeat(64);
    assert.deepEqual(parseImage("etl"), { ok: true, image: { reference: "etl", name: "etl", tag: undefined, digest: undefined } });
    assert.deepEqual(parseImage("localhost:5000/etl:1"), { ok: true, image: { reference: "localhost:5000/etl:1", name: "localhost:5000/etl", tag: "1", digest: undefined } });
    assert.deepEqual(parseImage(`a.io/etl@sha256:${hex}`), { ok: true, image: { reference: `a.io/etl@sha256:${hex}`, name: "a.io/etl", tag: undefined, digest: `sha256:${hex}` } });
    for (const ok of ["Registry.Example.com/etl:1", "registry.a.io/etl:1", "localhost/etl:1", "a.io:65535/etl:1", "a.io/my--etl:1", "a.io/my__etl:1", "a.io/my.etl_x:1", "team/etl:1", "registry.example.com:5000/team/etl:1"]) {
      assert.equal(parseImage(ok).ok, true, ok);
    }
    const reason = (ref: string) => {
      const p = parseImage(ref);
      return p.ok ? "accepted" : p.reason;
    };
    assert.equal(reason(""), "it is empty or has surrounding white space");
    assert.equal(reason("a.io/etl:1 "), "it is empty or has surrounding white space");
    assert.equal(reason(`@sha256:${hex}`), "the path component \"\" must be lowercase letters, digits and separators");
    assert.equal(reason(`a.io/etl@xsha256:${hex}`), `the digest "xsha256:${"a".repeat(32)}"… (72 characters) is not sha256:<64 lowercase hex>`);
    assert.equal(reason(`a.io/etl@sha256:${hex}a`), `the digest "sha256:${"a".repeat(33)}"… (72 characters) is not sha256:<64 lowercase hex>`);
    assert.equal(reason("Team/etl:1"), "the path component \"Team\" must be lowercase letters, digits and separators");
    assert.equal(reason("Etl:1"), "the path component \"Etl\" must be lowercase letters, digits and separators");
    assert.equal(reason("a.io/etl_:1"), "the path component \"etl_\" must be lowercase letters, digits and separators");
    assert.equal(reason("a.io/_etl:1"), "the path component \"_etl\" must be lowercase letters, digits and separators");
    assert.equal(reason("-a.io/etl:1"), "the registry \"-a.io\" is not a host name with an optional port");
    assert.equal(reason("a.io-/etl:1"), "the registry \"a.io-\" is not a host name with an optional port");
    assert.equal(reason("a.io:65536/etl:1"), "the registry \"a.io:65536\" is not a host name with an optional port");
    assert.equal(reason("a.io:x/etl:1"), "the registry \"a.io:x\" is not a host name with an optional port");
    assert.equal(reason("a.io:/etl:1"), "the registry \"a.io:\" is not a host name with an optional port");
  });

  it("how the chart is given an image", () => {
    assert.deepEqual(chartImage({ reference: "a.io/etl", name: "a.io/etl" }), { repository: "a.io/etl", tag: "latest" });
    assert.deepEqual(chartImage({ reference: "a.io/etl:1", name: "a.io/etl", tag: "1" }), { repository: "a.io/etl", tag: "1" });
  });

  it("quantities at the edges of what Kubernetes holds", () => {
    assert.deepEqual(parseQuantity("1e999999999"), { ok: false, reason: "it is larger than the largest quantity Kubernetes holds (2^63-1); Kubernetes would cap it" });
    assert.deepEqual(parseQuantity("1e-999999999"), { ok: false, reason: "it is finer than Kubernetes keeps (1n); Kubernetes would round it up" });
    assert.deepEqual(parseQuantity("-500m"), { ok: true, value: { negative: true, num: 500n, den: 1000n } });
    assert.deepEqual(parseQuantity("-2"), { ok: true, value: { negative: true, num: 2n, den: 1n } });
    assert.deepEqual(parseQuantity("100000000000000000.5"), { ok: true, value: { negative: false, num: 1000000000000000005n, den: 10n } });
    assert.deepEqual(parseQuantity("9223372036854775807.5"), { ok: false, reason: "it is larger than the largest quantity Kubernetes holds (2^63-1); Kubernetes would cap it" });
    const q = (t: string) => {
      const p = parseQuantity(t);
      assert.ok(p.ok, t);
      return p.value;
    };
    assert.equal(compareQuantities(q("1"), q("500m")), 1);
    assert.equal(compareQuantities(q("500m"), q("1")), -1);
    assert.equal(compareQuantities(q("-500m"), q("-1")), 1);
  });

  it("keys that look like a secret, word by word", () => {
    for (const k of ["DB_PASSWORD", "DB_PASSWD", "PWD", "MY_SECRET", "SECRETS", "X_CREDENTIAL", "CREDENTIALS", "CREDS", "APIKEY", "PASSPHRASE", "GITHUB_TOKEN",
      "PRIVATE_KEY", "apiKey", "API__KEY", "AWS_ACCESS_KEY_ID", "api-key", "api.key", "api key", "api/key", "_API_KEY"]) assert.equal(looksSecret(k), true, k);
    for (const k of ["TOKENIZER_MODEL", "KEY", "API", "API_KEYS", "MONKEY", "PRIVATE", "ACCESS_LOG", "KEY_API", "SECRETARY", "PASSWORDLESS"]) assert.equal(looksSecret(k), false, k);
  });

  it("edit distance, with swaps, and ties going to the first candidate", () => {
    assert.equal(editDistance("a", "b"), 1);
    assert.equal(editDistance("abc", "acb"), 1);
    assert.equal(editDistance("ca", "abc"), 3);
    assert.equal(editDistance("abc", "bca"), 2);
    assert.equal(editDistance("ba", "abc"), 2);
    assert.equal(editDistance("abcd", "badc"), 2);
    assert.equal(didYouMean("cat", ["bat", "hat"]), "bat");
    assert.equal(didYouMean("cat", ["hat", "bat"]), "hat");
  });
});
