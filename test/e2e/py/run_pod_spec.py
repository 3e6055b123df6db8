"""The run pod spec dagster-k8s itself builds for a run of a real code location.

Usage: python run_pod_spec.py <input.json>, input: {"runLauncher": <the instance's run_launcher
block as the chart renders it>, "host", "port", "location", "job"}. Loads the location from its
running code server (which serves the container context it was started with), creates a run of
`job`, and calls dagster-k8s' own K8sRunLauncher.launch_run, catching the Job it would create at
the Kubernetes API (the launcher's k8s_client_batch_api argument). Prints the Job's run container
and pod as JSON. Nothing of dagster-k8s' merge is re-implemented here.
"""

import json
import sys
import tempfile

from dagster._core.launcher import LaunchRunContext
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin
from dagster._core.test_utils import create_run_for_test, instance_for_test
from dagster_k8s import K8sRunLauncher
from kubernetes.client import ApiClient


class CapturingBatchApi:
    """Stands for the Kubernetes batch API: keeps the Job instead of creating it."""

    def __init__(self):
        self.jobs = []

    def create_namespaced_job(self, body, namespace, **_kwargs):
        self.jobs.append((namespace, body))
        return body


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
users: [{name: u, user: {token: none}}]
"""


def main(path):
    spec = json.load(open(path, encoding="utf-8"))
    config = dict(spec["runLauncher"]["config"])
    with tempfile.NamedTemporaryFile("w", suffix=".kubeconfig", delete=False) as kubeconfig:
        kubeconfig.write(KUBECONFIG)
    # No cluster here: load a kubeconfig instead of the in-cluster one; nothing is ever sent.
    config.update(load_incluster_config=False, kubeconfig_file=kubeconfig.name)
    batch = CapturingBatchApi()
    launcher = K8sRunLauncher(**config, k8s_client_batch_api=batch)
    # A throwaway on-disk instance: the launcher passes a reference to it to the run pod's command.
    with instance_for_test() as instance:
        launcher.register_instance(instance)
        origin = GrpcServerCodeLocationOrigin(host=spec["host"], port=spec["port"], location_name=spec["location"])
        with origin.create_location(instance) as location:
            repository = next(iter(location.get_repositories().values()))
            job = repository.get_full_job(spec["job"])
            run = create_run_for_test(
                instance,
                job_name=job.name,
                remote_job_origin=job.get_remote_origin(),
                job_code_origin=job.get_python_origin(),
            )
            launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    namespace, body = batch.jobs[0]
    job_dict = ApiClient().sanitize_for_serialization(body)
    pod = job_dict["spec"]["template"]["spec"]
    print(json.dumps({"namespace": namespace, "pod": pod, "container": pod["containers"][0]}))


if __name__ == "__main__":
    main(sys.argv[1])
