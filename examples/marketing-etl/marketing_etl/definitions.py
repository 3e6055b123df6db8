"""Marketing's ingestion and attribution models (repos/marketing-etl.yaml: module marketing_etl.definitions).

Written for Dagster+ branch deployments and unchanged here: which warehouse database it writes to
comes from the platform's variables, so a branch writes to its clone, never to PRODUCTION.
"""

import os

import dagster as dg


def warehouse_database() -> str:
    """The database this deployment writes to: the branch's clone in a branch deployment."""
    return os.environ.get("SNOWFLAKE_DATABASE", "PRODUCTION")


@dg.asset(group_name="marketing", description="Raw ad-platform spend, one row per campaign and day.")
def ad_spend() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"database": warehouse_database()})


@dg.asset(group_name="marketing", deps=[ad_spend], description="Multi-touch attribution over the attribution window.")
def attribution() -> dg.MaterializeResult:
    window = int(os.environ.get("ATTRIBUTION_WINDOW_DAYS", "30"))
    return dg.MaterializeResult(metadata={"window_days": window, "branch": os.environ.get("DAGSTER_CLOUD_IS_BRANCH_DEPLOYMENT") == "1"})


daily = dg.define_asset_job("daily_attribution", selection=[ad_spend, attribution])

defs = dg.Definitions(
    assets=[ad_spend, attribution],
    jobs=[daily],
    schedules=[dg.ScheduleDefinition(job=daily, cron_schedule="0 5 * * *")],
)
