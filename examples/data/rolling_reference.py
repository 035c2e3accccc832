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
from collections import Counter

import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.statespace.structural import UnobservedComponents

warnings.filterwarnings("ignore")
path, column = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("examples/data/nile.csv", "volume")
y = pd.read_csv(path)[column].to_numpy(dtype=float)
origins, horizons = 50, (1, 2, 5, 10)
first_window = len(y) - origins


def crps_normal(mean, sd, x):
    z = (x - mean) / sd
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return sd * (z * (2 * cdf - 1) + 2 * pdf - 1 / math.sqrt(math.pi))


def local_level(train):
    model = UnobservedComponents(train, "local level", use_exact_diffuse=True)
    start = [np.var(np.diff(train)) / 2] * 2
    fit = model.fit(disp=False, method="nm", maxiter=20000, start_params=start, xtol=1e-10, ftol=1e-12)
    f = fit.get_forecast(max(horizons))
    return f.predicted_mean, f.var_pred_mean


chosen = Counter()


def auto_arima(train):
    best = None
    for d in (0, 1):
        for p in range(3):
            for q in range(3):
                try:
                    fit = ARIMA(train, order=(p, d, q), trend="c" if d == 0 else "n").fit()
                except Exception:
                    continue
                if np.isfinite(fit.aic) and (best is None or fit.aic < best.aic):
                    best = fit
    chosen[best.model.order] += 1
    f = best.get_forecast(max(horizons))
    return f.predicted_mean, f.var_pred_mean


print(f"# {path} ({column}), statsmodels {statsmodels.__version__}; columns: model, horizon, forecasts, mean CRPS")
print("model,horizon,n,crps")
for name, forecaster in (("local_level", local_level), ("auto_arima", auto_arima)):
    scores = {h: [] for h in horizons}
    for o in range(first_window - 1, first_window - 1 + origins):
        mean, var = forecaster(y[: o + 1])
        for h in horizons:
            if o + h < len(y):
                scores[h].append(crps_normal(mean[h - 1], math.sqrt(var[h - 1]), y[o + h]))
    for h in horizons:
        print(f"{name},{h},{len(scores[h])},{np.mean(scores[h]):.4f}")
print("# auto_arima orders (p, d, q) chosen over the origins: " +
      ", ".join(f"{order} x {count}" for order, count in chosen.most_common()))
