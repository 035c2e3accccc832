#!/usr/bin/python3
# Reference values for tests/forecast/test_state_space.cpp: a local level plus a trigonometric seasonal of period
# 12 with 2 harmonics on the first 20 years of the El Nino SST (months in order), statsmodels' UnobservedComponents
# (Debian python3-statsmodels 0.13.5) with exact diffuse initialisation. At unit (monthly) steps the continuous
# undamped seasonal of sdekit is exactly this discrete component (a rotation by 2 pi j / 12 per month, noise
# variance sigma^2 per month on both states).
# Run from the repository root:
#   /usr/bin/python3 tests/data/elnino/seasonal_reference.py > tests/data/elnino/seasonal_reference.txt
import numpy as np
import pandas as pd
import statsmodels
from statsmodels.tsa.statespace.structural import UnobservedComponents

wide = pd.read_csv("tests/data/elnino/elnino.csv")
y = wide.iloc[:20, 1:].to_numpy(dtype=float).reshape(-1)  # 240 months, January 1950 first
print(f"# statsmodels {statsmodels.__version__}, UnobservedComponents(level='llevel', "
      "freq_seasonal=[period 12, 2 harmonics], use_exact_diffuse=True), first 240 months")
model = UnobservedComponents(y, level="llevel", freq_seasonal=[{"period": 12, "harmonics": 2}],
                             use_exact_diffuse=True)
print("# params order:", list(model.param_names))
params = np.array([0.3, 0.2, 0.01])  # (sigma2.irregular, sigma2.level, sigma2.freq_seasonal_12(2))
print(f"loglike_at sigma2_irregular=0.3 sigma2_level=0.2 sigma2_seasonal=0.01 value={model.loglike(params):.12f}")
ym = y.copy()
ym[30:45] = np.nan
ym[100] = np.nan
mm = UnobservedComponents(ym, level="llevel", freq_seasonal=[{"period": 12, "harmonics": 2}], use_exact_diffuse=True)
print(f"loglike_missing sigma2_irregular=0.3 sigma2_level=0.2 sigma2_seasonal=0.01 value={mm.loglike(params):.12f}")
fit = model.fit(disp=False, method="nm", maxiter=20000, start_params=[0.3, 0.2, 0.01], xtol=1e-10, ftol=1e-12)
print(f"mle sigma2_irregular={fit.params[0]:.8f} sigma2_level={fit.params[1]:.8f} "
      f"sigma2_seasonal={fit.params[2]:.8f} loglike={fit.llf:.12f}")
