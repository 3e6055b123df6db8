import { ResourceRequirements } from "../locations/types";

/** Container resources per role. GKE Autopilot bills and schedules by requests, so every pod has them. */
export interface SizeProfile {
  webserver: ResourceRequirements;
  daemon: ResourceRequirements;
  runs: ResourceRequirements;
  codeServer: ResourceRequirements;
  webserverReplicas: number;
}

export const PROD_SIZE: SizeProfile = {
  webserver: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
  daemon: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
  runs: { requests: { cpu: "500m", memory: "1Gi" } },
  codeServer: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  webserverReplicas: 2,
};

/** Branch deployments serve one reviewer, not a team: the smallest sizes Autopilot accepts. */
export const BRANCH_SIZE: SizeProfile = {
  webserver: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  daemon: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  runs: { requests: { cpu: "250m", memory: "512Mi" } },
  codeServer: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
  webserverReplicas: 1,
};
