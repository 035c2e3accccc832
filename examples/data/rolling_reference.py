#!/usr/bin/python3
# Reference CRPS of statsmodels' models on the rolling-origin protocol of examples/forecast_state_space.cpp: the
# 50 origins before the last value (for the Nile 1920 ... 1969; the first training window is 1871-1920), refit at
# every origin on all data up to it,
# Gaussian forecasts 1, 2, 5 and 10 years ahead, scored by the closed-form CRPS of the normal predictive.
#   local_level: UnobservedComponents('local level', use_exact_diffuse=True), Nelder-Mead with tight tolerances;
#   auto_arima:  ARIMA(p, d, q) with p, q in 0..2 and d in 0..1 (a constant when d = 0) chosen by AIC at each
#                origin (statsmodels has no auto_arima; this is its small-grid equivalent).
# Debian python3-statsmodels 0.13.5. Run from the repository root:
#   /usr/bin/python3 examples/data/rolling_reference.py > examples/data/nile_rolling_reference.csv
#   /usr/bin/python3 examples/data/rolling_reference.py examples/data/sunspots.csv SUNACTIVITY \
#       > examples/data/sunspots_rolling_reference.csv
import math
import sys
import warnings

import numpy as np
import pandas as pd
import statsmodels
from reference_common import auto_arima, chosen, crps_normal
from statsmodels.tsa.statespace.structural import UnobservedComponents

warnings.filterwarnings("ignore")
path, column = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("examples/data/nile.csv", "volume")
y = pd.read_csv(path)[column].to_numpy(dtype=float)
origins, horizons = 50, (1, 2, 5, 10)
first_window = len(y) - origins


def local_level(train, steps):
    model = UnobservedComponents(train, "local level", use_exact_diffuse=True)
    start = [np.var(np.diff(train)) / 2] * 2
    fit = model.fit(disp=False, method="nm", maxiter=20000, start_params=start, xtol=1e-10, ftol=1e-12)
    f = fit.get_forecast(steps)
    return f.predicted_mean, f.var_pred_mean


print(f"# {path} ({column}), statsmodels {statsmodels.__version__}; columns: model, horizon, forecasts, mean CRPS")
print("model,horizon,n,crps")
for name, forecaster in (("local_level", local_level), ("auto_arima", auto_arima)):
    scores = {h: [] for h in horizons}
    for o in range(first_window - 1, first_window - 1 + origins):
        mean, var = forecaster(y[: o + 1], max(horizons))
        for h in horizons:
            if o + h < len(y):
                scores[h].append(crps_normal(mean[h - 1], math.sqrt(var[h - 1]), y[o + h]))
    for h in horizons:
        print(f"{name},{h},{len(scores[h])},{np.mean(scores[h]):.4f}")
print("# auto_arima orders (p, d, q) chosen over the origins: " +
      ", ".join(f"{order} x {count}" for order, count in chosen.most_common()))
