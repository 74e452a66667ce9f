"""Reference values for tests/families/test_satisfaction.py.

Not a test: run it in an environment with samplics 0.6.0 and pingouin 0.7.0
(the project venv has neither) from this folder:

    python satisfaction_small_peer_ref.py

It prints the domain means and Taylor-linearised standard errors (strata,
stratum-nested PSUs, fpc as 1 - n_h/N_h) of the respondent index, the
services dimension and the overall top-two flag, the C1 subset estimate, and
Cronbach's alpha of the complete cases, which the tests freeze.
"""
import warnings; warnings.filterwarnings("ignore")
import numpy as np, pandas as pd, samplics
from samplics.estimation import TaylorEstimator
from samplics.utils.types import PopParam
df = pd.read_csv("satisfaction_small.csv")
df = df[df.wave == 2024].reset_index(drop=True)
def sc(x, lo, hi, rev=False):
    x = (lo + hi - x) if rev else x
    return 100 * (x - lo) / (hi - lo)
s = pd.DataFrame({"q1": sc(df.q1,1,5), "q2": sc(df.q2,1,5,True), "q3": sc(df.q3,1,5), "q4": sc(df.q4,1,4)})
df["index"] = s.mean(axis=1)          # pandas skips NaN
df["services"] = s[["q2","q3"]].mean(axis=1)
df["top2"] = np.where(df.q6.isna(), np.nan, (df.q6 >= 4).astype(float))
df["psu2"] = df.stratum + "/" + df.psu
fpc = {"D1": 1 - 5/20, "D2": 1 - 2/10}
df["street"] = df.community_id.map({"C1":"D1/S1","C2":"D1/S1","C3":"D1/S2","C4":"D2/S3"})
for var in ["index", "services", "top2"]:
    d = df[df[var].notna()]
    for dom in ["community_id", "street"]:
        est = TaylorEstimator(PopParam.mean)
        est.estimate(y=d[var], samp_weight=d.weight, stratum=d.stratum, psu=d.psu2, domain=d[dom], fpc=fpc, remove_nan=False)
        print(var, dom, "point", est.point_est)
        print(var, dom, "se", est.stderror)
    est = TaylorEstimator(PopParam.mean)
    est.estimate(y=d[var], samp_weight=d.weight, stratum=d.stratum, psu=d.psu2, fpc=fpc)
    print(var, "city", est.point_est, est.stderror)
# subset C1 re-estimated alone (what a domain must NOT be)
d = df[(df.community_id == "C1") & df["index"].notna()]
est = TaylorEstimator(PopParam.mean); est.estimate(y=d["index"], samp_weight=d.weight, stratum=d.stratum, psu=d.psu2, fpc={"D1": 1-2/20})
print("subset C1", est.point_est, est.stderror)
print("samplics", samplics.__version__)
