"""Policy evaluation: the Django-side drivers of the policy simulator (replenish.engine.simulate).

- `days`: pure numpy helpers (periods -> days and order lines, lead-time samplers, the ERP's naive min-max rule);
- `window`: reads the evaluation window from the database (generated future demand, or held-out actual demand);
- `planning`: the DistOps plan on the training history, re-planned on a cadence as simulated weeks are revealed;
- `calibration`: the service calibration, a replay of recent training history that corrects each group's target
  (the simulator's, and the nightly plan's through replenish/planning/calibration.py);
- `simulation`: runs the policies on the same draws; `report`: the report (per policy, per class, acceptance);
- `sweep`: targets set per run, runs over seeds and target levels summarized with confidence intervals;
- `backtest`: forecast accuracy by class and method against the naive forecast, and the held-out policy
  comparison;
- `services` / `selectors`: the SimulationReport rows; `charts`: the trade-off chart (PNG) and the HTML export;
  `text`: the commands' plain-text tables.
"""
