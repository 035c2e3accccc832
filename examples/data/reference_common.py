#!/usr/bin/python3
# What rolling_reference.py and backtest_reference.py share: the closed-form CRPS of a normal forecast and the
# small-grid stand-in for auto-ARIMA (statsmodels has no auto_arima): ARIMA(p, d, q) with p, q in 0..2 and d in 0..1
# (a constant when d = 0), chosen by AIC at each origin. Debian python3-statsmodels 0.13.5.
import math
from collections import Counter

import numpy as np
from statsmodels.tsa.arima.model import ARIMA

# The orders auto_arima chose, over all calls (the scripts print them).
chosen = Counter()


def crps_normal(mean, sd, x):
    z = (x - mean) / sd
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return sd * (z * (2 * cdf - 1) + 2 * pdf - 1 / math.sqrt(math.pi))


def auto_arima(train, steps):
    """Mean and variance of the AIC-best ARIMA's forecasts 1 ... steps ahead."""
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
    f = best.get_forecast(steps)
    return f.predicted_mean, f.var_pred_mean
