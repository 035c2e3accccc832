#!/usr/bin/python3
# Reference CRPS of statsmodels' AIC-selected ARIMA on the rolling-origin protocol of examples/forecast_backtest.cpp
# for the two series rolling_reference.py does not cover: the monthly El Nino SST (elnino.csv, a wide table of
# 12 month columns per year, stacked into 732 months) and the weekly Mauna Loa CO2 (co2.csv, 59 empty values kept as
# missing; each training window is the last 520 weeks, as in the example). The 50 origins before the last value,
# refit at every origin, Gaussian forecasts 1, 2, 5 and 10 steps ahead, closed-form normal CRPS, missing outcomes
# not scored. ARIMA(p, d, q), p, q in 0..2, d in 0..1 (a constant when d = 0), chosen by AIC at each origin, as in
# rolling_reference.py (statsmodels has no auto_arima; no seasonal terms). Debian python3-statsmodels 0.13.5.
# Run from the repository root (a few minutes each):
#   /usr/bin/python3 examples/data/backtest_reference.py elnino > examples/data/elnino_rolling_reference.csv
#   /usr/bin/python3 examples/data/backtest_reference.py co2 > examples/data/co2_rolling_reference.csv
import math
import sys
import warnings

import numpy as np
import pandas as pd
import statsmodels
from reference_common import auto_arima, chosen, crps_normal

warnings.filterwarnings("ignore")
name = sys.argv[1]
if name == "elnino":
    y = pd.read_csv("examples/data/elnino.csv").iloc[:, 1:].to_numpy(dtype=float).reshape(-1)
    window = None
elif name == "co2":
    y = pd.read_csv("examples/data/co2.csv")["co2"].to_numpy(dtype=float)
    window = 520
else:
    sys.exit("usage: backtest_reference.py elnino|co2")
origins, horizons = 50, (1, 2, 5, 10)
first_origin = len(y) - origins - 1


print(f"# examples/data/{name}.csv, statsmodels {statsmodels.__version__}, window {window or 'all'}; "
      "columns: model, horizon, forecasts, mean CRPS")
print("model,horizon,n,crps")
scores = {h: [] for h in horizons}
for o in range(first_origin, first_origin + origins):
    start = 0 if window is None else max(0, o + 1 - window)
    mean, var = auto_arima(y[start: o + 1], max(horizons))
    for h in horizons:
        if o + h < len(y) and not np.isnan(y[o + h]):
            scores[h].append(crps_normal(mean[h - 1], math.sqrt(var[h - 1]), y[o + h]))
for h in horizons:
    print(f"auto_arima,{h},{len(scores[h])},{np.mean(scores[h]):.4f}")
print("# auto_arima orders (p, d, q) chosen over the origins: " +
      ", ".join(f"{order} x {count}" for order, count in chosen.most_common()))
