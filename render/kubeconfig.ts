/**
 * A kubeconfig for a GKE cluster that authenticates through `gke-gcloud-auth-plugin`: no static
 * credential is stored anywhere, whoever runs `pulumi` uses their own gcloud identity (in CI the
 * Workload Identity Federation token). `endpoint` is the IP endpoint (with the cluster's CA) or
 * the IAM-gated DNS endpoint (without).
 */
export function gkeKubeconfig(args: { contextName: string; endpoint: string; caCertificate?: string }): string {
  const { contextName, endpoint, caCertificate } = args;
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${contextName}`,
    "  cluster:",
    `    server: https://${endpoint}`,
    // The DNS endpoint (*.gke.goog) presents a publicly trusted certificate: no cluster CA then.
    ...(caCertificate ? [`    certificate-authority-data: ${caCertificate}`] : []),
    "contexts:",
    `- name: ${contextName}`,
    "  context:",
    `    cluster: ${contextName}`,
    `    user: ${contextName}`,
    `current-context: ${contextName}`,
    "preferences: {}",
    "users:",
    `- name: ${contextName}`,
    "  user:",
    "    exec:",
    "      apiVersion: client.authentication.k8s.io/v1beta1",
    "      command: gke-gcloud-auth-plugin",
    "      installHint: Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin).",
    "      provideClusterInfo: true",
    "      interactiveMode: Never",
    "",
  ].join("\n");
}
