#!/usr/bin/python3
# Reference values for tests/forecast/test_state_space.cpp: the local-level model of the Nile series with
# statsmodels' UnobservedComponents (Debian python3-statsmodels 0.13.5), exact diffuse initialisation.
# Run from the repository root:  /usr/bin/python3 tests/data/nile/local_level_reference.py > tests/data/nile/local_level_reference.txt
import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.statespace.structural import UnobservedComponents

y = pd.read_csv("tests/data/nile/nile.csv")["volume"].to_numpy(dtype=float)
print(f"# statsmodels {statsmodels.__version__}, UnobservedComponents('local level', use_exact_diffuse=True)")
model = UnobservedComponents(y, "local level", use_exact_diffuse=True)
# Durbin & Koopman (2012), section 2.10: sigma2_eps = 15099, sigma2_eta = 1469.1.
params = np.array([15099.0, 1469.1])  # (sigma2.irregular, sigma2.level)
print(f"loglike_at sigma2_irregular=15099 sigma2_level=1469.1 value={model.loglike(params):.12f}")
# The same model with y[20:40] and y[60] missing (NaN), same parameters.
ym = y.copy()
ym[20:40] = np.nan
ym[60] = np.nan
mm = UnobservedComponents(ym, "local level", use_exact_diffuse=True)
print(f"loglike_missing sigma2_irregular=15099 sigma2_level=1469.1 value={mm.loglike(params):.12f}")
# Nelder-Mead with tight tolerances: the default lbfgs stops early on this flat likelihood (-633.46464).
fit = model.fit(disp=False, method="nm", maxiter=20000, start_params=[15000, 1500], xtol=1e-10, ftol=1e-12)
print(f"mle sigma2_irregular={fit.params[0]:.6f} sigma2_level={fit.params[1]:.6f} loglike={fit.llf:.12f}")
# Smoothed level at the first, 29th and last years (filtered and smoothed state means at the given parameters).
res = model.smooth(params)
s = res.smoothed_state[0]
v = res.smoothed_state_cov[0, 0]
for k in (0, 28, 99):
    print(f"smoothed k={k} mean={s[k]:.9f} var={v[k]:.9f}")
f = res.forecast(10)
print(f"forecast h=1 mean={f[0]:.9f} h=10 mean={f[9]:.9f}")
fv = res.get_forecast(10).var_pred_mean
print(f"forecast h=1 var={fv[0]:.9f} h=10 var={fv[9]:.9f}")
# Local level + AR(1) + irregular (the discrete-time twin of sdekit's level + OU at unit steps: phi = exp(-kappa)),
# exact diffuse level, stationary AR(1); the maximum by Nelder-Mead from a start near it, and the log-likelihood at
# fixed parameters (sigma2.irregular, sigma2.level, sigma2.ar, phi).
ua = UnobservedComponents(y, "local level", autoregressive=1, use_exact_diffuse=True)
fixed = np.array([7750.0, 520.0, 12000.0, 0.45])
print(f"level_ar1_loglike_at sigma2_irregular=7750 sigma2_level=520 sigma2_ar=12000 phi=0.45 value={ua.loglike(fixed):.12f}")
fa = ua.fit(disp=False, method="nm", maxiter=40000, start_params=[7700, 520, 12000, 0.45], xtol=1e-10, ftol=1e-12)
print("level_ar1_mle " + " ".join(f"{n}={v:.6f}" for n, v in zip(ua.param_names, fa.params)) + f" loglike={fa.llf:.12f}")
# Ljung-Box (tests/forecast/test_diagnostics.cpp): on the Nile values with 10 lags, and on their differences with 12
# lags and model_df=2 (10 degrees of freedom); and three chi-squared tails from scipy.
from scipy.stats import chi2
from statsmodels.stats.diagnostic import acorr_ljungbox

lb = acorr_ljungbox(y, lags=[10], return_df=True)
print(f"ljung_box values lags=10 stat={lb['lb_stat'].iloc[0]:.12f} p={lb['lb_pvalue'].iloc[0]:.12e}")
lb = acorr_ljungbox(np.diff(y), lags=[12], model_df=2, return_df=True)
print(f"ljung_box differences lags=12 model_df=2 stat={lb['lb_stat'].iloc[0]:.12f} p={lb['lb_pvalue'].iloc[0]:.12e}")
for x, df in ((3.0, 0.5), (50.0, 7.0), (0.1, 40.0), (10.0, 10.0)):
    print(f"chi2_sf x={x} df={df} value={chi2.sf(x, df):.15e}")
# Local linear trend with a fixed (diffuse) slope, sigma2.trend = 0: two observations resolve the diffuse law,
# and the continuous model with sigma_slope = 0 is the same model at unit steps.
lt = UnobservedComponents(y, "local linear trend", use_exact_diffuse=True)
print(f"llt_loglike_at sigma2_irregular=15099 sigma2_level=1469.1 sigma2_trend=0 value={lt.loglike(np.array([15099.0, 1469.1, 0.0])):.12f}")
