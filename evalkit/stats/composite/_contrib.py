"""What drives a score: each indicator's weighted normalised value in the top aggregate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.stats.composite._build import Composite


def contributions(comp: Composite) -> pd.DataFrame:
    """Each indicator's contribution to each unit's top score.

    Parameters
    ----------
    comp : Composite
        A built index.

    Returns
    -------
    DataFrame
        Indexed by ``uCode``, one column per indicator: the indicator's
        normalised value times its effective weight *for that unit* — the
        product, along its path to the top, of each node's weight over the
        weights of its siblings present for the unit.  Missing indicators
        are NaN.  With arithmetic means (the default) a unit's
        contributions sum to its score; with other aggregations they are
        the weighted normalised values, a guide rather than a decomposition.

    Notes
    -----
    For indicator :math:`i` under group :math:`g`,
    :math:`c_{ui} = y_{ui}\\,\\frac{w_i}{\\sum_{j \\in g, y_{uj}\\ \\mathrm{present}} w_j}\\,
    \\frac{w_g}{\\sum_{h\\ \\mathrm{present}} w_h}`, and so on up the tree.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats.composite import build
    >>> data = pd.DataFrame({"uCode": ["a", "b", "c"], "x1": [1.0, 2.0, 4.0], "x2": [30.0, None, 20.0]})
    >>> meta = pd.DataFrame({"iCode": ["x1", "x2", "Index"], "Level": [1, 1, 2],
    ...                      "Parent": ["Index", "Index", None], "Direction": [1, 1, 1],
    ...                      "Weight": [1, 1, 1], "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> comp = build(data, meta)
    >>> contributions(comp)
              x1    x2
    uCode
    a        0.0  50.0
    b       33.3   NaN
    c       50.0   0.0
    >>> comp.stages["Aggregated"]["Index"].tolist()
    [50.0, 33.33333333333333, 50.0]
    """
    tree = comp.inputs.agg_tree
    agg = comp.stages["Aggregated"]
    v = agg[list(tree.codes)].to_numpy(dtype=float)
    present = ~np.isnan(v)
    share = np.zeros_like(v)
    for node in range(len(tree.codes)):
        p = tree.parent[node]
        if p < 0:
            continue
        sib = tree.children(p)
        tot = (tree.weight[sib][None, :] * present[:, sib]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share[:, node] = np.where(present[:, node], tree.weight[node] / tot, np.nan)
    eff = np.ones((len(agg), tree.n_ind))
    for i in range(tree.n_ind):
        node = i
        while tree.parent[node] >= 0:
            eff[:, i] *= share[:, node]
            node = tree.parent[node]
    return pd.DataFrame(eff * v[:, : tree.n_ind], index=agg.index, columns=list(tree.indicators))
