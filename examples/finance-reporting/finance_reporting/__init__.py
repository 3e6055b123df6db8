"""Finance's month-end reporting (repos/finance-reporting.yaml: package finance_reporting,
attribute defs, run as `dagster code-server start` so it can be reloaded from the UI)."""

import dagster as dg


@dg.asset(group_name="finance", description="General-ledger balances at month end.")
def ledger_balances() -> None:
    return None


@dg.asset(group_name="finance", deps=[ledger_balances], description="The month-end report.")
def month_end_report() -> None:
    return None


month_end = dg.define_asset_job("month_end", selection=[ledger_balances, month_end_report])

defs = dg.Definitions(
    assets=[ledger_balances, month_end_report],
    jobs=[month_end],
    schedules=[dg.ScheduleDefinition(job=month_end, cron_schedule="0 6 1 * *")],
)
