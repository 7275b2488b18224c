"""`manage.py explain` as text: the same content as the page, section by section."""

from __future__ import annotations

from .derivation import fmt, pct


def _value(step: dict) -> str:
    value, unit = step["value"], step["unit"]
    if unit == "share":
        return pct(value, 2)
    if isinstance(value, int | float):
        return f"{fmt(value, 2)} {unit}".rstrip()
    return str(value)


def _steps(title: str, steps: list[dict]) -> list[str]:
    lines = [f"  {title}"]
    for step in steps:
        lines.append(f"    {step['label']:<44} {_value(step):>22}")
        if step["formula"]:
            lines.append(f"      = {step['formula']}")
        if step["note"]:
            lines.append(f"      ({step['note']})")
    return lines


def _demand_lines(demand: dict) -> list[str]:
    lines = [
        "Demand and forecast",
        f"  {demand['weeks_of_history']} weeks of history, mean {fmt(demand['mean_weekly_demand'], 2)} a week; "
        f"class {demand['demand_class']}, segment {demand['segment']}; chosen by {demand['selection_metric']}: "
        f"{demand['chosen_method']}",
        f"    {'method':<14} {'RMSE':>9} {'MASE':>9} {'bias':>9}",
    ]
    for method in demand["methods"]:
        mark = "  <- chosen" if method["chosen"] else ""
        lines.append(
            f"    {method['method']:<14} {fmt(method['rmse'], 3):>9} {fmt(method['mase'], 3):>9} "
            f"{fmt(method['bias'], 3):>9}{mark}"
        )
    lines.append("  last weeks: " + ", ".join(f"{w['week']} {w['quantity']}" for w in demand["history"][-8:]))
    path = demand["forecast_path"][:8]
    lines.append("  forecast:   " + ", ".join(f"{w['week']} {fmt(w['forecast'], 1)}" for w in path))
    return lines


def _lead_time_lines(lead: dict) -> list[str]:
    if not lead["supplier"]:
        return ["Lead time", "  no primary supplier"]
    lines = [
        "Lead time",
        f"  {lead['supplier']['code']} {lead['supplier']['name']}: planned {fmt(lead['planned_mean'])} days "
        f"(sd {fmt(lead['planned_sd'])}) from {lead['source']} receipts; {lead['receipt_count']} receipts, "
        f"observed mean {fmt(lead['observed_mean'])}, long-run {fmt(lead['long_run_mean'])}, recent "
        f"{fmt(lead['recent_mean'])}; contract {lead['supplier']['contracted_days']} days",
    ]
    drift = lead["drift"]
    if drift:
        verdict = "DRIFTING" if drift["flagged"] else "no significant shift"
        lines.append(
            f"  drift in {drift['category']}: {fmt(drift['reference_mean'])} -> {fmt(drift['recent_mean'])} days "
            f"(p = {drift['p_value']:.3g}): {verdict}"
        )
    bins = ", ".join(f"{b['from_days']}-{b['to_days']}d: {b['receipts']}" for b in lead["histogram"])
    return [*lines, f"  histogram: {bins}"]


def _policy_lines(policy: dict | None, projection: dict) -> list[str]:
    if not policy:
        return ["Policy derivation", "  no current plan"]
    lines = ["Policy derivation"]
    lines += _steps("Service target", policy["targets"])
    lines += _steps("Demand over L + R", policy["lead_time_demand"])
    lines += _steps(f"Order quantity (bound by {policy['binding_constraint']})", policy["order_quantity"])
    lines += _steps("Safety stock, reorder point, order-up-to", policy["reorder_point"])
    if projection.get("days"):
        lines += [
            "",
            "Projection",
            f"  available {fmt(projection['available'], 0)}; s {fmt(projection['reorder_point'])}, "
            f"S {fmt(projection['order_up_to'])}; short from {projection['first_short_day'] or 'never in the horizon'}",
        ]
    return lines


def _supply_lines(supply: dict) -> list[str]:
    lines = ["Open supply and orders"]
    for line in supply["purchase_order_lines"]:
        late = " LATE" if line["late"] else ""
        lines.append(
            f"  PO {line['po']}/{line['line']} {line['supplier']}: {line['open']} open, promised {line['promised']}, "
            f"arriving {line['arrival']}{late}"
        )
    for transfer in supply["transfers"]:
        lines.append(
            f"  transfer {transfer['number']} from {transfer['from']}: {transfer['quantity']} on {transfer['arrival']}"
        )
    for order in supply["order_lines"]:
        lines.append(
            f"  order {order['order']}/{order['line']} {order['customer']} ({order['tier']}): {order['quantity']} "
            f"requested {order['requested']}"
        )
    return lines if len(lines) > 1 else [*lines, "  none"]


def _history_lines(history: dict) -> list[str]:
    lines = ["Recommendations and decisions"]
    for rec in history["recommendations"][:10]:
        lines.append(
            f"  {rec['created_at'][:16]} {rec['action']} {rec['quantity']} due {rec['due']}: {rec['reason']}"
        )
    for decision in history["decisions"][:10]:
        lines.append(
            f"  {decision['at'][:16]} {decision['by']}: {decision['action']} {decision['reason_code']}"
        )
    return lines if len(lines) > 1 else [*lines, "  none"]


def explain_text(x: dict) -> str:
    stock = x["stock"]
    header = [
        f"{x['sku']} {x['description']} at {x['location']['code']} {x['location']['name']} ({x['category']})",
        f"as of {x['as_of']}; plan run {x['run']['id'] if x['run'] else 'none'}; buyer {x['buyer'] or 'none'}",
        f"stock: on hand {stock['on_hand']}, allocated {stock['allocated']}, backordered {stock['backordered']}; "
        f"ERP min/max {stock['erp_min']}/{stock['erp_max']}",
    ]
    sections = [
        header,
        _demand_lines(x["demand"]),
        _lead_time_lines(x["lead_time"]),
        _policy_lines(x["policy"], x["projection"]),
        _supply_lines(x["supply"]),
        _history_lines(x["history"]),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"
