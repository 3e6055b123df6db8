/** repos/ validation: every bad-input case is refused with the file, the field and the fix. */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import { reservedServiceNames, userCodeObjectNames } from "../chart/names";
import { chartImage, isPinned, parseImage } from "../locations/image";
import { LocationFile, parseLocations } from "../locations/load";
import { formatProblem } from "../locations/problems";
import { looksSecret } from "../locations/secretLooking";
import { ValidationContext } from "../locations/validate";

/** The Services the system chart (release "dagster") and the program create, written out from the chart's helpers. */
const RESERVED_SERVICES = [
  "dagster-dagster-webserver", "dagster-dagster-webserver-read-only", "dagster-flower", "dagster-postgresql",
  "dagster-rabbitmq", "dagster-redis", "dagster-webserver-pods",
];
const ctx: ValidationContext = {
  reservedEnv: new Set(["DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT", "SNOWFLAKE_DATABASE"]),
  reservedEnvPrefixes: ["DAGSTER_CLOUD_"],
  reservedServiceNames: new Set(RESERVED_SERVICES),
};
const GOOD = "image: registry.example.com/team/etl:1.4.2\nmodule: etl.definitions\n";

function run(files: Record<string, string>) {
  const list: LocationFile[] = Object.entries(files).map(([name, text]) => ({ file: `repos/${name}`, text }));
  const result = parseLocations(list, ctx);
  return { ...result, messages: result.problems.map(formatProblem) };
}

/** Asserts exactly one problem for the file, mentioning every pattern. */
function refuses(text: string, ...patterns: RegExp[]): string {
  const { locations, messages } = run({ "etl.yaml": text });
  assert.equal(locations.length, 0, "nothing is accepted");
  assert.equal(messages.length, 1, messages.join("\n"));
  assert.match(messages[0], /^repos\/etl\.yaml/);
  for (const p of patterns) assert.match(messages[0], p);
  return messages[0];
}

describe("repos/ validation", () => {
  it("accepts a good file and applies defaults", () => {
    const { locations, problems } = run({ "etl.yaml": GOOD, "README.md": "# not a location", ".hidden.yaml": "junk: [" });
    assert.deepEqual(problems, []);
    assert.equal(locations.length, 1);
    assert.equal(locations[0].name, "etl");
    assert.equal(locations[0].port, 3030);
    assert.equal(locations[0].codeServer, false);
    assert.deepEqual(locations[0].target, { kind: "module", value: "etl.definitions" });
  });

  it("YAML syntax errors, with line and column", () => {
    const m = refuses("image: a/b:1\nmodule: [unclosed\n", /YAML syntax error/);
    assert.match(m, /^repos\/etl\.yaml:\d+:\d+:/);
  });
  it("an empty file", () => refuses("", /the file is empty/, /image/));
  it("a file that is not a mapping", () => refuses("- image: a/b:1\n", /a list, not a mapping/));
  it("duplicate keys in one file", () => refuses("image: a/b:1\nimage: a/b:2\nmodule: m\n", /YAML syntax error/));
  it("unknown keys, with a did-you-mean", () => refuses(`${GOOD}prot: 3030\n`, /unknown key "prot"/, /did you mean "port"\?/));
  it("a name key, pointing at the file name", () => refuses(`${GOOD}name: other\n`, /unknown key "name"/, /rename the file/));
  it("a missing image", () => refuses("module: etl.definitions\n", /image: is missing/, /pinned/));
  it("an image without a tag (latest)", () => refuses("image: registry.example.com/etl\nmodule: m\n", /not pinned/, /no tag/));
  it("an image tagged latest", () => refuses("image: registry.example.com/etl:latest\nmodule: m\n", /not pinned: the tag is latest/));
  it("an image that is not a reference", () => refuses("image: Registry.example.com/ETL:1\nmodule: m\n", /not a valid image reference/));
  it("zero code targets", () => refuses("image: a/b:1\n", /no code target/, /exactly one of module: \(python module\), package: \(package name\) or file:/));
  it("two code targets", () => refuses("image: a/b:1\nmodule: m\npackage: p\n", /2 code targets are set \(module, package\)/));
  for (const port of ["0", "65536", "30.5", '"3030"', "-1"]) {
    it(`port ${port}`, () => refuses(`${GOOD}port: ${port}\n`, /port: .* is not a TCP port/, /1 and 65535/));
  }
  it("non-string env values, with the quoted form to use", () => refuses(`${GOOD}env: {RETRIES: 3}\n`, /env\.RETRIES: 3 is a number, not a string/, /quote it: "3"/));
  it("a secret-looking env key", () => refuses(`${GOOD}env: {DB_PASSWORD: x}\n`, /looks like a secret/, /secrets:/));
  it("an env key the platform sets", () => refuses(`${GOOD}env: {DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT: "1"}\n`, /set by the platform/));
  it("a request above its limit", () => refuses(`${GOOD}resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}\n`, /larger than the limit/));
  it("a malformed quantity", () => refuses(`${GOOD}resources: {requests: {cpu: lots}}\n`, /not a Kubernetes quantity/));
  it("run resources with a request above the limit, or a malformed quantity", () => {
    refuses(`${GOOD}runResources: {requests: {memory: 8Gi}, limits: {memory: 4Gi}}\n`, /runResources\.requests\.memory: the request 8Gi is larger than the limit 4Gi/);
    refuses(`${GOOD}runResources: {limits: {memory: lots}}\n`, /runResources\.limits\.memory: "lots": it is not a Kubernetes quantity/);
    refuses(`${GOOD}runResources: {limit: {memory: 1Gi}}\n`, /runResources\.limit: unknown key "limit".*did you mean "limits"/);
  });
  it("a label the chart sets itself", () => refuses(`${GOOD}labels: {component: x}\n`, /set by the chart itself/));
  it("a toleration with an unknown effect", () => refuses(`${GOOD}tolerations: [{key: k, operator: Exists, effect: Never}]\n`, /not a taint effect/));

  it("a name that is not a DNS-1035 label, with a suggestion", () => {
    const { messages } = run({ "Marketing_ETL.yaml": GOOD });
    assert.equal(messages.length, 1);
    assert.match(messages[0], /repos\/Marketing_ETL\.yaml: \(file name\): the location name "Marketing_ETL" is not a Kubernetes DNS-1035 label/);
    assert.match(messages[0], /e\.g\. "marketing-etl\.yaml"/);
  });
  it("a name longer than 48, stating the limit and why", () => {
    const name = "a".repeat(49);
    const { messages } = run({ [`${name}.yaml`]: GOOD });
    assert.equal(messages.length, 1);
    assert.match(messages[0], /is 49 characters; at most 48 fit/);
    assert.match(messages[0], /Helm's 53-character release-name limit/);
  });
  it("the longest allowed name gives a 53-character release", () => {
    const name = "a".repeat(48);
    assert.deepEqual(run({ [`${name}.yaml`]: GOOD }).problems, []);
    assert.equal(userCodeObjectNames(name).release.length, 53);
  });
  it("the reserved Service names are the chart's and the program's", () => assert.deepEqual(reservedServiceNames(), RESERVED_SERVICES));
  it("a name that collides with a system Service", () => {
    assert.match(run({ "dagster-dagster-webserver.yaml": GOOD }).messages.join(), /the location name "dagster-dagster-webserver" is the name of a Service the platform creates in the namespace; the location's own Service would collide with it/);
  });
  it("two files that resolve to the same name", () => {
    const { messages, locations } = run({ "etl.yaml": GOOD, "etl.yml": GOOD });
    assert.equal(locations.length, 0);
    assert.equal(messages.length, 1);
    assert.match(messages[0], /repos\/etl\.yml: \(file name\): defines the location "etl" again; repos\/etl\.yaml already does/);
  });

  it("reports every problem in every file at once, and refuses the whole folder", () => {
    const { locations, messages } = run({
      "good.yaml": GOOD,
      "a.yaml": "module: m\nport: 0\n",
      "b.yaml": "image: x/y:latest\nmodule: m\npackage: p\nenv: {A: 1}\n",
    });
    assert.equal(locations.length, 0, "one bad file refuses every file");
    assert.equal(messages.filter((m) => m.startsWith("repos/a.yaml")).length, 2);
    assert.equal(messages.filter((m) => m.startsWith("repos/b.yaml")).length, 3);
  });

  describe("properties", () => {
    const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,60}[a-z0-9])?$/);
    it("a name is accepted exactly when it is a DNS-1035 label of at most 48 characters (and not reserved)", () => {
      fc.assert(
        fc.property(fc.oneof(label, fc.string({ maxLength: 70 })), (name) => {
          if (name.includes("/") || name.includes("\\") || name.includes("\0") || name.startsWith(".") || name === "") return;
          const valid = /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 48 && !RESERVED_SERVICES.includes(name);
          const { problems } = run({ [`${name}.yaml`]: GOOD });
          assert.equal(problems.length === 0, valid, `${JSON.stringify(name)}: ${problems.map(formatProblem).join("; ")}`);
        }),
        { numRuns: 300 },
      );
    });
    it("every accepted name yields Kubernetes names within their limits", () => {
      fc.assert(
        fc.property(label.filter((n) => n.length <= 48), (name) => {
          const n = userCodeObjectNames(name);
          assert.ok(n.release.length <= 53);
          assert.ok(n.service.length <= 63);
          for (const obj of [n.deployment, n.envConfigMap, n.sharedEnvConfigMap, n.serviceAccount]) {
            assert.ok(obj.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(obj), obj);
          }
        }),
      );
    });
    it("distinct names never share a release-owned object name", () => {
      fc.assert(
        fc.property(label.filter((n) => n.length <= 48), label.filter((n) => n.length <= 48), (a, b) => {
          fc.pre(a !== b);
          const na = userCodeObjectNames(a);
          const nb = userCodeObjectNames(b);
          for (const key of ["release", "service", "deployment", "envConfigMap", "sharedEnvConfigMap", "serviceAccount"] as const) assert.notEqual(na[key], nb[key], key);
        }),
      );
    });
    it("image references: pinned exactly when tagged (not latest) or digested; the chart renders them back unchanged", () => {
      const component = fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+)*$/);
      const tag = fc.oneof(fc.constant("latest"), fc.stringMatching(/^[\w][\w.-]{0,20}$/));
      const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`);
      fc.assert(
        fc.property(fc.array(component, { minLength: 1, maxLength: 3 }), fc.option(tag), fc.option(digest), (path, t, d) => {
          const name = `registry.example.com/${path.join("/")}`;
          const ref = `${name}${t !== null ? `:${t}` : ""}${d !== null ? `@${d}` : ""}`;
          const parsed = parseImage(ref);
          // distribution/reference: the name (registry and path) is at most 255 characters.
          assert.equal(parsed.ok, name.length <= 255, ref);
          if (!parsed.ok) return;
          assert.equal(isPinned(parsed.image), d !== null || (t !== null && t !== "latest"));
          if (isPinned(parsed.image)) {
            const { repository, tag: chartTag } = chartImage(parsed.image);
            assert.equal(`${repository}:${chartTag}`, ref);
          }
        }),
      );
    });
  });

  it("secret-looking keys are matched by word", () => {
    for (const k of ["DB_PASSWORD", "apiKey", "GITHUB_TOKEN", "aws_secret_access_key", "PRIVATE_KEY", "client-secret"]) assert.ok(looksSecret(k), k);
    for (const k of ["TOKENIZER_MODEL", "LOG_LEVEL", "KEYBOARD", "PASSAGE"]) assert.ok(!looksSecret(k), k);
  });
});
