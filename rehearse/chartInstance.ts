/**
 * The instance `dagster.yaml` the `dagster/dagster` chart renders from the system values, for the
 * parts this platform sets, written out from the chart's templates (dagster-io/dagster,
 * helm/dagster/templates): configmap-instance.yaml @835892b (storages, run coordinator, compute
 * logs, `additionalInstanceConfig` appended at the top level), helpers/instance/_postgresql.tpl
 * @0bd187e (`postgres_db`) and helpers/instance/_run-launcher.tpl @a07d616 (K8sRunLauncher).
 * Pure. `rehearsalInstance` applies the rehearsal's substitutions (chartProcesses.SUBSTITUTIONS).
 */
type Values = Record<string, unknown>;

const STORAGES = [
  ["run_storage", "PostgresRunStorage"],
  ["event_log_storage", "PostgresEventLogStorage"],
  ["schedule_storage", "PostgresScheduleStorage"],
] as const;

/** `dagsterYaml.postgresql.config`: the password always comes from DAGSTER_PG_PASSWORD. */
function postgresDb(values: Values): Values {
  const pg = values.postgresql as Values;
  return {
    postgres_db: {
      username: pg.postgresqlUsername,
      password: { env: "DAGSTER_PG_PASSWORD" },
      hostname: pg.postgresqlHost,
      db_name: pg.postgresqlDatabase,
      port: (pg.service as Values).port,
      params: pg.postgresqlParams ?? {},
      ...(pg.postgresqlScheme ? { scheme: pg.postgresqlScheme } : {}),
    },
  };
}

/** `dagsterYaml.runLauncher.k8s` (the keys this platform's values use). */
export function chartK8sRunLauncher(values: Values, namespace: string): Values {
  const k = ((values.runLauncher as Values).config as Values).k8sRunLauncher as Values;
  const names = (list: unknown) => ((list ?? []) as { name: string }[]).map((e) => e.name);
  const runK8s = (k.runK8sConfig ?? {}) as Values;
  const runK8sKeys: [string, string][] = [["containerConfig", "container_config"], ["podSpecConfig", "pod_spec_config"], ["podTemplateSpecMetadata", "pod_template_spec_metadata"], ["jobSpecConfig", "job_spec_config"], ["jobMetadata", "job_metadata"]];
  const config: Values = {
    load_incluster_config: k.loadInclusterConfig,
    job_namespace: k.jobNamespace ?? namespace,
    image_pull_policy: k.imagePullPolicy,
    // `dagster.serviceAccountName`: the system release's own account (serviceAccount.create).
    service_account_name: "dagster",
    dagster_home: (values.global as Values).dagsterHome,
    instance_config_map: "dagster-instance",
    postgres_password_secret: (values.global as Values).postgresqlSecretName,
  };
  const optional: [string, unknown][] = [
    ["env_config_maps", names(k.envConfigMaps)], ["env_secrets", names(k.envSecrets)], ["env_vars", k.envVars], ["volume_mounts", k.volumeMounts],
    ["volumes", k.volumes], ["labels", k.labels], ["resources", k.resources], ["scheduler_name", k.schedulerName], ["security_context", k.securityContext],
  ];
  for (const [key, value] of optional) if (isSet(value)) config[key] = value;
  if (k.failPodOnRunFailure) config.fail_pod_on_run_failure = true;
  const run = Object.fromEntries(runK8sKeys.filter(([from]) => isSet(runK8s[from])).map(([from, to]) => [to, runK8s[from]]));
  if (Object.keys(run).length > 0) config.run_k8s_config = run;
  return { module: "dagster_k8s", class: "K8sRunLauncher", config };
}

/** Helm's `if`: empty lists, maps and strings are unset. */
function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  return typeof value !== "object" || Object.keys(value as object).length > 0;
}

function computeLogs(values: Values): Values {
  const c = values.computeLogManager as Values;
  if (c.type !== "GCSComputeLogManager") return { module: "dagster.core.storage.noop_compute_log_manager", class: "NoOpComputeLogManager" };
  const gcs = (c.config as Values).gcsComputeLogManager as Values;
  return { module: "dagster_gcp.gcs.compute_log_manager", class: "GCSComputeLogManager", config: { bucket: gcs.bucket, ...(gcs.prefix ? { prefix: gcs.prefix } : {}) } };
}

/** The instance as the chart renders it for the webserver, the daemon and every run pod. */
export function chartInstance(values: Values, namespace: string): Values {
  const instance: Values = {
    scheduler: { module: "dagster.core.scheduler", class: "DagsterDaemonScheduler" },
    run_coordinator: { module: "dagster.core.run_coordinator", class: "QueuedRunCoordinator" },
    run_launcher: chartK8sRunLauncher(values, namespace),
    compute_logs: computeLogs(values),
  };
  for (const [key, cls] of STORAGES) instance[key] = { module: "dagster_postgres", class: cls, config: postgresDb(values) };
  return { ...instance, ...((values.additionalInstanceConfig ?? {}) as Values) };
}

/** Python modules the instance names: every image that runs code (run pods) must import them. */
export function instanceModules(instance: Values): string[] {
  const modules = new Set<string>();
  for (const value of Object.values(instance)) {
    const module = (value as Values | null)?.module;
    if (typeof module === "string" && !module.startsWith("dagster.") && !module.startsWith("dagster._")) modules.add(module);
  }
  const defsState = ((instance.defs_state_storage as Values | undefined)?.config as Values | undefined)?.base_path;
  // A gs:// UPath needs fsspec's GCS implementation when the storage is created.
  if (typeof defsState === "string" && defsState.startsWith("gs://")) modules.add("gcsfs");
  return [...modules].sort();
}

/** The rehearsal's instance: the chart's, with the substitutions for what needs a cluster or GCS. */
export function rehearsalInstance(values: Values, namespace: string, dirs: { computeLogs: string; defsState: string }): Values {
  const instance = chartInstance(values, namespace);
  instance.run_launcher = { module: "dagster._core.launcher", class: "DefaultRunLauncher" };
  instance.compute_logs = { module: "dagster._core.storage.local_compute_log_manager", class: "LocalComputeLogManager", config: { base_dir: dirs.computeLogs } };
  const defs = instance.defs_state_storage as Values | undefined;
  if (defs) instance.defs_state_storage = { ...defs, config: { ...(defs.config as Values), base_path: dirs.defsState } };
  instance.telemetry = { enabled: false };
  return instance;
}
