/**
 * Object names the official Dagster charts derive from release and deployment names, written
 * out from the charts' helpers (`dagster.fullname`, `dagster.webserver.fullname`, …) so the
 * program can predict them: the workspace must point at the Service a release will create, and
 * Workload Identity must bind the ServiceAccount a release will create.
 */

/** Helm refuses release names longer than this (the release Secret name must fit a label). */
export const HELM_RELEASE_NAME_MAX = 53;
/** RFC 1035 label: Service names. */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_LABEL_MAX = 63;
/** RFC 1123 subdomain: ConfigMap, Secret, Deployment, ServiceAccount names. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS_SUBDOMAIN_MAX = 253;

export const SYSTEM_CHART = "dagster";
export const USER_CODE_CHART = "dagster-user-deployments";
/** The system release is always called this; its fullname is then also `dagster`. */
export const SYSTEM_RELEASE = "dagster";
/** User-code releases are `code-<location>`, so no location can collide with the system release. */
export const USER_CODE_RELEASE_PREFIX = "code-";
/**
 * The longest code-location name: the release `code-<name>` must fit Helm's 53 characters.
 * Every other derived name is looser: the Service `<name>` (63), the label `deployment: <name>`
 * (63), the Deployment `<fullname>-<name>` and ConfigMap `<fullname>-<name>-user-env` (253).
 */
export const LOCATION_NAME_MAX = HELM_RELEASE_NAME_MAX - USER_CODE_RELEASE_PREFIX.length;

/** Go's `trunc 63 | trimSuffix "-"` as the chart helpers write it. */
function trunc63(s: string): string {
  const t = s.slice(0, DNS_LABEL_MAX);
  return t.endsWith("-") ? t.slice(0, -1) : t;
}

/** `dagster.fullname` without overrides: the release name if it contains the chart name. */
export function chartFullname(release: string, chart: string): string {
  return release.includes(chart) ? trunc63(release) : trunc63(`${release}-${chart}`);
}

export function userCodeReleaseName(location: string): string {
  return `${USER_CODE_RELEASE_PREFIX}${location}`;
}

/** Names of the objects one `dagster-user-deployments` release creates for one location. */
export interface UserCodeObjectNames {
  release: string;
  fullname: string;
  /** The Service is named exactly after the location: the workspace's `host`. */
  service: string;
  deployment: string;
  envConfigMap: string;
  sharedEnvConfigMap: string;
  /** `dagsterUserDeployments.serviceAccountName` with no global or explicit name (not used: see USER_CODE_SERVICE_ACCOUNT). */
  serviceAccount: string;
}

/**
 * The one Kubernetes ServiceAccount every code location (and every run it launches) uses. Pulumi
 * creates it once; each release sets `serviceAccount.create: false` and names it, the charts'
 * supported way to share one (a ServiceAccount two releases create would collide). One identity
 * for all code means one Workload Identity binding, not one per location: a service account's IAM
 * policy holds at most 1,500 members.
 */
export const USER_CODE_SERVICE_ACCOUNT = "dagster-user-code";

export function userCodeObjectNames(location: string): UserCodeObjectNames {
  const release = userCodeReleaseName(location);
  const fullname = chartFullname(release, USER_CODE_CHART);
  return {
    release,
    fullname,
    service: location,
    deployment: `${fullname}-${location}`,
    envConfigMap: `${fullname}-${location}-user-env`,
    sharedEnvConfigMap: `${fullname}-user-deployments-shared-env`,
    serviceAccount: `${fullname}-user-deployments`,
  };
}

/** Names of the objects the system release creates that other parts of the program refer to. */
export function systemObjectNames(release = SYSTEM_RELEASE) {
  const fullname = chartFullname(release, SYSTEM_CHART);
  return {
    release,
    fullname,
    /** `dagster.webserver.fullname` with the values.yaml default nameOverride `dagster-webserver`. */
    webserverService: trunc63(`${release}-dagster-webserver`),
    webserverReadOnlyService: `${trunc63(`${release}-dagster-webserver`)}-read-only`,
    /** `dagster.serviceAccountName` with `serviceAccount.name` empty. */
    serviceAccount: fullname,
  };
}

/** A headless Service over the webserver pods (the verification Job's): its DNS name resolves to every replica. */
export const WEBSERVER_PEERS_SERVICE = "dagster-webserver-pods";

/**
 * Environment variables the dagster-user-deployments chart sets in every code server: the
 * shared-env ConfigMap (DAGSTER_HOME, the run namespace and run env ConfigMap), which a location's
 * own env would override (it comes later in envFrom), and the container's own env
 * (DAGSTER_CURRENT_IMAGE, DAGSTER_PG_PASSWORD), which would silently win over it
 * (templates/helpers/_deployment-user.tpl; ../shared/dagster-chart/FACTS.md).
 */
export const CHART_SET_ENV: readonly string[] = [
  "DAGSTER_CURRENT_IMAGE",
  "DAGSTER_HOME",
  "DAGSTER_K8S_PIPELINE_RUN_ENV_CONFIGMAP",
  "DAGSTER_K8S_PIPELINE_RUN_NAMESPACE",
  "DAGSTER_PG_PASSWORD",
];

/** Services the program itself creates in the namespace, besides the charts'. */
export const PROGRAM_SERVICE_NAMES: readonly string[] = [WEBSERVER_PEERS_SERVICE];

/**
 * Service names the system chart may create in the namespace, and the program's own. A location
 * Service with one of these names would collide with them.
 */
export function reservedServiceNames(release = SYSTEM_RELEASE): string[] {
  const sys = systemObjectNames(release);
  return [
    ...PROGRAM_SERVICE_NAMES,
    sys.webserverService,
    sys.webserverReadOnlyService,
    trunc63(`${release}-postgresql`),
    trunc63(`${release}-rabbitmq`),
    trunc63(`${release}-redis`),
    trunc63(`${release}-flower`),
  ].sort();
}
