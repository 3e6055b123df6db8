/** The prod stack's GCP platform, as the committed Pulumi.prod.yaml plans it. */
import { strict as assert } from "assert";
import { USER_CODE_SERVICE_ACCOUNT } from "../chart/names";
import { Plan } from "../offline/plan";
import { find, ofType, plan } from "./helpers/plan";

type Values = Record<string, unknown>;

describe("GCP platform (prod stack)", function () {
  this.timeout(60000);
  let prod: Plan;
  let existing: Plan;
  before(async () => {
    prod = await plan("prod");
    existing = await plan("prod", { overrides: ["clusterMode=existing", "network=existing", "networkName=shared-vpc"], secrets: ["kubeconfig=apiVersion: v1"] });
  });

  it("creates a GKE Autopilot cluster with Workload Identity and a release channel", () => {
    const cluster = find(prod, "gcp:container/cluster:Cluster", "cluster").inputs as Values & { workloadIdentityConfig: Values; releaseChannel: Values; privateClusterConfig: Values };
    assert.equal(cluster.enableAutopilot, true);
    assert.equal(cluster.workloadIdentityConfig.workloadPool, "acme-data-prod.svc.id.goog");
    assert.equal(cluster.releaseChannel.channel, "REGULAR");
    assert.equal(cluster.privateClusterConfig.enablePrivateNodes, true);
  });

  it("Cloud NAT sends from reserved addresses, exported as natEgressIps for allow-lists (never AUTO_ONLY)", async () => {
    const nat = find(prod, "gcp:compute/routerNat:RouterNat", "network-nat").inputs;
    assert.equal(nat.natIpAllocateOption, "MANUAL_ONLY");
    const address = find(prod, "gcp:compute/address:Address", "network-nat-1").inputs;
    assert.deepEqual([address.name, address.addressType, address.region], ["dagster-nat-1", "EXTERNAL", "europe-west4"]);
    assert.deepEqual(nat.natIps, ["https://www.googleapis.com/compute/v1/projects/acme-data-prod/regions/europe-west4/addresses/dagster-nat-1"]);
    assert.deepEqual(prod.outputs.natEgressIps, ["203.0.113.101"]);
    const two = await plan("prod", { overrides: ["natAddresses=2"] });
    assert.deepEqual(find(two, "gcp:compute/routerNat:RouterNat", "network-nat").inputs.natIps, [1, 2].map((i) => `https://www.googleapis.com/compute/v1/projects/acme-data-prod/regions/europe-west4/addresses/dagster-nat-${i}`));
    assert.deepEqual(two.outputs.natEgressIps, ["203.0.113.101", "203.0.113.102"]);
  });

  it("Cloud SQL: PostgreSQL 16 ENTERPRISE, private IP only, backups with PITR, deletion protection, protect: true", () => {
    const sql = find(prod, "gcp:sql/databaseInstance:DatabaseInstance", "postgres");
    const settings = sql.inputs.settings as Values & { ipConfiguration: Values; backupConfiguration: Values };
    assert.equal(sql.inputs.databaseVersion, "POSTGRES_16");
    assert.equal(settings.edition, "ENTERPRISE");
    assert.equal(settings.ipConfiguration.ipv4Enabled, false);
    assert.match(String(settings.ipConfiguration.privateNetwork), /^projects\/acme-data-prod\/global\/networks\/dagster$/);
    assert.equal(settings.backupConfiguration.enabled, true);
    assert.equal(settings.backupConfiguration.pointInTimeRecoveryEnabled, true);
    assert.equal(sql.inputs.deletionProtection, true);
    assert.equal(settings.deletionProtectionEnabled, true);
    assert.equal(sql.options.protect, true);
    assert.ok(sql.options.dependsOn.includes("network-private-services"), "waits for private services access");
    assert.equal(find(prod, "gcp:sql/database:Database", "postgres-dagster").options.protect, true);
  });

  it("the database password is generated, secret, and reaches the cluster as the Secret the charts read", () => {
    assert.equal(find(prod, "gcp:sql/user:User", "postgres-dagster").inputs.password, "[secret]");
    const secret = find(prod, "kubernetes:core/v1:Secret", "postgres-password");
    assert.deepEqual(secret.inputs.metadata && (secret.inputs.metadata as Values).name, "dagster-postgresql-secret");
    assert.equal(secret.inputs.stringData, "[secret]");
  });

  it("every bucket: public access prevention enforced, uniform access, protect; versioned state, expiring logs", () => {
    const buckets = ofType(prod, "gcp:storage/bucket:Bucket");
    assert.equal(buckets.length, 2);
    for (const b of buckets) {
      assert.equal(b.inputs.publicAccessPrevention, "enforced", b.name);
      assert.equal(b.inputs.uniformBucketLevelAccess, true, b.name);
      assert.equal(b.inputs.forceDestroy, false, b.name);
      assert.equal(b.options.protect, true, b.name);
    }
    assert.deepEqual(find(prod, "gcp:storage/bucket:Bucket", "buckets-defs-state").inputs.versioning, { enabled: true });
    const logs = find(prod, "gcp:storage/bucket:Bucket", "buckets-compute-logs").inputs.lifecycleRules as { action: Values; condition: Values }[];
    assert.deepEqual(logs[0], { action: { type: "Delete" }, condition: { age: 30 } });
  });

  it("only the data is protected", () => {
    assert.deepEqual(prod.resources.filter((r) => r.options.protect).map((r) => `${r.type} ${r.name}`).sort(), [
      "gcp:sql/database:Database postgres-dagster",
      "gcp:sql/databaseInstance:DatabaseInstance postgres",
      "gcp:storage/bucket:Bucket buckets-compute-logs",
      "gcp:storage/bucket:Bucket buckets-defs-state",
    ]);
  });

  it("Artifact Registry: Docker, immutable tags, a cleanup policy", () => {
    const repo = find(prod, "gcp:artifactregistry/repository:Repository", "registry").inputs as Values & { cleanupPolicies: Values[]; dockerConfig: Values };
    assert.equal(repo.format, "DOCKER");
    assert.equal(repo.dockerConfig.immutableTags, true);
    assert.deepEqual(repo.cleanupPolicies.map((p) => p.action).sort(), ["DELETE", "KEEP"]);
    assert.equal(prod.outputs.registryUrl, "europe-west4-docker.pkg.dev/acme-data-prod/dagster");
  });

  it("least privilege: object access on the two buckets only, no project-wide role for Dagster", () => {
    const bindings = ofType(prod, "gcp:storage/bucketIAMMember:BucketIAMMember");
    assert.deepEqual(bindings.map((b) => [b.inputs.bucket, b.inputs.role, b.inputs.member]).sort(), [
      ["acme-data-prod-dagster-compute-logs", "roles/storage.objectAdmin", "serviceAccount:dagster@acme-data-prod.iam.gserviceaccount.com"],
      ["acme-data-prod-dagster-defs-state", "roles/storage.objectAdmin", "serviceAccount:dagster@acme-data-prod.iam.gserviceaccount.com"],
    ]);
    const projectRoles = ofType(prod, "gcp:projects/iAMMember:IAMMember");
    assert.ok(projectRoles.length > 0);
    assert.ok(projectRoles.every((r) => r.inputs.member === "serviceAccount:dagster-nodes@acme-data-prod.iam.gserviceaccount.com"), "project roles only for the GKE node account");
    assert.ok(projectRoles.every((r) => !String(r.inputs.member).startsWith("serviceAccount:dagster@")));
  });

  it("Workload Identity: well-formed members for the system KSA and the code locations' shared KSA, annotated on both", () => {
    const members = ofType(prod, "gcp:serviceaccount/iAMMember:IAMMember");
    const ksas = members.map((m) => {
      assert.equal(m.inputs.role, "roles/iam.workloadIdentityUser");
      const match = /^serviceAccount:acme-data-prod\.svc\.id\.goog\[dagster\/([a-z0-9-]+)\]$/.exec(String(m.inputs.member));
      assert.ok(match, String(m.inputs.member));
      return match[1];
    });
    assert.deepEqual(ksas.sort(), ["dagster", USER_CODE_SERVICE_ACCOUNT]);
    const annotation = { "iam.gke.io/gcp-service-account": "dagster@acme-data-prod.iam.gserviceaccount.com" };
    assert.deepEqual((prod.values.dagster as { serviceAccount: Values }).serviceAccount.annotations, annotation, "the system chart's KSA (webserver, daemon, runs)");
    const shared = find(prod, "kubernetes:core/v1:ServiceAccount", "user-code").inputs.metadata as { name: string; annotations: Values };
    assert.equal(shared.name, USER_CODE_SERVICE_ACCOUNT);
    assert.deepEqual(shared.annotations, annotation);
    for (const loc of prod.locations) {
      assert.deepEqual((prod.values[loc.release] as { serviceAccount: Values }).serviceAccount, { annotations: {}, create: false, name: USER_CODE_SERVICE_ACCOUNT }, loc.release);
      assert.ok(find(prod, "kubernetes:helm.sh/v3:Release", loc.release).options.dependsOn.includes("user-code"));
    }
  });

  it("the system values are wired to the platform: Cloud SQL IP, GCS logs, gs:// defs state", () => {
    const v = prod.values.dagster as { postgresql: Values; computeLogManager: { config: { gcsComputeLogManager: Values } }; additionalInstanceConfig: { defs_state_storage: { config: Values } } };
    assert.equal(v.postgresql.postgresqlHost, prod.outputs.sqlPrivateIp);
    assert.deepEqual(v.postgresql.postgresqlParams, { sslmode: "require" });
    assert.equal(v.computeLogManager.config.gcsComputeLogManager.bucket, prod.outputs.computeLogsBucket);
    assert.equal(v.additionalInstanceConfig.defs_state_storage.config.base_path, `gs://${prod.outputs.defsStateBucket}/dagster/defs-state`);
  });

  it("one explicit Kubernetes provider, built from the cluster with gke-gcloud-auth-plugin, used by every Kubernetes resource", () => {
    const providers = ofType(prod, "pulumi:providers:kubernetes");
    assert.equal(providers.length, 1);
    assert.equal(providers[0].inputs.kubeconfig, "[secret]");
    for (const r of prod.resources.filter((x) => x.type.startsWith("kubernetes:"))) assert.equal(r.options.provider, "kubernetes", `${r.type} ${r.name}`);
    for (const r of prod.resources.filter((x) => x.type.startsWith("gcp:"))) assert.equal(r.options.provider, "gcp", `${r.type} ${r.name}`);
  });

  it("stable stack outputs for the pull-request stacks and for humans", () => {
    for (const key of ["clusterName", "kubeconfig", "sqlConnectionName", "sqlPrivateIp", "sqlInstanceName", "computeLogsBucket", "defsStateBucket", "registryUrl", "webserverUrl", "webserverAccess"]) {
      assert.ok(key in prod.outputs, key);
    }
    assert.equal(prod.outputs.kubeconfig, "[secret]");
    assert.equal(prod.outputs.sqlConnectionName, "acme-data-prod:europe-west4:dagster-prod");
    assert.match(String(prod.outputs.webserverAccess), /kubectl --namespace dagster port-forward service\/dagster-dagster-webserver 8080:80/);
  });

  it("the webserver is only reachable inside the cluster by default: ClusterIP, no Ingress", () => {
    const v = prod.values.dagster as { dagsterWebserver: { service: Values }; ingress?: Values };
    assert.equal(v.dagsterWebserver.service.type, "ClusterIP");
    assert.equal(v.ingress, undefined);
  });

  it("existing cluster mode: no GCP cluster or VPC, the given kubeconfig, the rest still planned", () => {
    for (const t of ["gcp:container/cluster:Cluster", "gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork"]) assert.deepEqual(ofType(existing, t), [], t);
    assert.equal(find(existing, "pulumi:providers:kubernetes", "kubernetes").inputs.kubeconfig, "[secret]");
    assert.equal(ofType(existing, "gcp:sql/databaseInstance:DatabaseInstance").length, 1);
    const sql = find(existing, "gcp:sql/databaseInstance:DatabaseInstance", "postgres").inputs.settings as { ipConfiguration: Values };
    assert.equal(sql.ipConfiguration.privateNetwork, "projects/acme-data-prod/global/networks/shared-vpc");
    assert.equal(existing.outputs.kubeconfig, "[secret]");
  });

  describe("opt-in exposure, never open", () => {
    let iap: Plan, internal: Plan;
    before(async () => {
      iap = await plan("prod", { overrides: ["ingress=iap", "ingressHost=dagster.acme.example", "iapOAuthClientId=123.apps.googleusercontent.com"] });
      internal = await plan("prod", { overrides: ["ingress=internal", "ingressHost=dagster.internal.acme.example"] });
    });
    it("iap: an HTTPS-only GCE Ingress, a BackendConfig with IAP on, a managed certificate, secret OAuth client", () => {
      const v = iap.values.dagster as { ingress: { annotations: Values }; dagsterWebserver: { service: { annotations: Values; type: string } } };
      assert.equal(v.ingress.annotations["kubernetes.io/ingress.class"], "gce");
      assert.equal(v.ingress.annotations["kubernetes.io/ingress.allow-http"], "false");
      assert.equal(v.dagsterWebserver.service.type, "ClusterIP");
      assert.equal(v.dagsterWebserver.service.annotations["cloud.google.com/backend-config"], '{"default":"dagster-webserver"}');
      const backend = ofType(iap, "kubernetes:cloud.google.com/v1:BackendConfig")[0];
      assert.deepEqual((backend.inputs.spec as { iap: Values }).iap, { enabled: true, oauthclientCredentials: { secretName: "dagster-iap-oauth" } });
      const oauth = find(iap, "kubernetes:core/v1:Secret", "webserver-ingress-iap-oauth").inputs;
      assert.equal(oauth.stringData, "[secret]");
      assert.equal((oauth.metadata as { annotations: Values }).annotations["dagster-platform/oauth-client-id"], "123.apps.googleusercontent.com");
      assert.equal(iap.outputs.webserverUrl, "https://dagster.acme.example");
    });
    it("internal: a gce-internal Ingress and a proxy-only subnet", () => {
      const v = internal.values.dagster as { ingress: { annotations: Values } };
      assert.equal(v.ingress.annotations["kubernetes.io/ingress.class"], "gce-internal");
      assert.equal(find(internal, "gcp:compute/subnetwork:Subnetwork", "network-proxy-only").inputs.purpose, "REGIONAL_MANAGED_PROXY");
    });
    it("the namespace admits outside traffic only from Google's load-balancer ranges when exposed", () => {
      const policy = (p: Plan) => find(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "namespace-isolation").inputs.spec as { ingress: { from: Values[] }[] };
      assert.deepEqual(policy(prod).ingress, [{ from: [{ podSelector: {} }] }]);
      assert.deepEqual(policy(iap).ingress[1].from.map((f) => (f.ipBlock as Values).cidr), ["130.211.0.0/22", "35.191.0.0/16"]);
    });
  });
});
