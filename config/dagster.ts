import { excerpt } from "../locations/problems";
import { chartImage, isPinned, parseImage } from "../locations/image";
import { SEMVER } from "./formats";
import { ConfigReader } from "./reader";
import { PlatformConfig } from "./types";

type DagsterSettings = Pick<PlatformConfig, "chart" | "systemImage" | "workspaceRollout" | "helmTimeoutSeconds" | "runJobTtlSeconds" | "verify">;

/** The charts, the system image, how workspace changes roll out, and the verification Job. */
export function readDagster(c: ConfigReader): DagsterSettings {
  const version = c.required("chartVersion", "the Helm charts must be pinned");
  if (version !== undefined && !SEMVER.test(version)) c.problem("chartVersion", `${excerpt(version)} is not a chart version such as 1.13.19`);
  const repository = c.string("chartRepository") ?? "";
  if (!/^https:\/\/\S+$/.test(repository)) c.problem("chartRepository", `${excerpt(repository)} is not an https URL`);
  const systemImage = readSystemImage(c, version ?? "0.0.0");
  const verifyImageRaw = c.string("verifyImage");
  if (verifyImageRaw !== undefined) {
    const parsed = parseImage(verifyImageRaw);
    if (!parsed.ok || !isPinned(parsed.image)) c.problem("verifyImage", `${excerpt(verifyImageRaw)} is not a pinned image reference`);
  }
  return {
    chart: { version: version ?? "", repository },
    systemImage,
    workspaceRollout: c.enumValue<"reload" | "restart">("workspaceRollout"),
    helmTimeoutSeconds: c.int("helmTimeoutSeconds"),
    runJobTtlSeconds: c.int("runJobTtlSeconds"),
    verify: { image: verifyImageRaw ?? `${systemImage.repository}:${systemImage.tag}`, timeoutSeconds: c.int("verifyTimeoutSeconds"), secondsPerLocation: c.int("verifySecondsPerLocation") },
  };
}

/** The webserver/daemon image: the chart's own image at the chart's version unless pinned otherwise. */
function readSystemImage(c: ConfigReader, chartVersion: string): PlatformConfig["systemImage"] {
  const raw = c.string("systemImage");
  if (raw === undefined) return { repository: "docker.io/dagster/dagster-celery-k8s", tag: chartVersion };
  const parsed = parseImage(raw);
  if (!parsed.ok) c.problem("systemImage", `${excerpt(raw)} is not an image reference: ${parsed.reason}`);
  else if (!isPinned(parsed.image)) c.problem("systemImage", `${excerpt(raw)} is not pinned`, "use a tag other than latest, or a digest");
  else return chartImage(parsed.image);
  return { repository: "docker.io/dagster/dagster-celery-k8s", tag: chartVersion };
}
