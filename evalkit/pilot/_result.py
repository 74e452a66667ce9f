"""The result of a pilot comparison: the long table, and the facts each estimate rests on."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal, get_args

import pandas as pd

from evalkit.exceptions import ParameterError, check_choice
from evalkit.families._frame import COLUMNS, finalize

__all__ = ["PilotFacts", "PilotResult", "INDICATORS", "FEW_UNITS"]

#: Below this many piloted units, p-values come from randomisation inference.
FEW_UNITS = 10
#: The indicators of a comparison, in the order they are shown.
INDICATORS = ("pilot_att", "pilot_did", "pilot_pretrend", "pilot_att_group", "pilot_event", "pilot_att_gt")

PMethod = Literal["randomization", "t", "chi2"]
IntervalMethod = Literal["welch", "cluster_robust", "none"]
Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class PilotFacts:
    """What one comparison (one unit: the city or a district) rests on.

    Attributes
    ----------
    outcome
        The outcome: an indicator id of the catalog, or a column of the user's panel.
    level, unit_id, unit_name, district
        The unit compared (as in the table's rows).
    first_year, last_year
        The years of data used (the window after the checks).
    control
        ``"never"`` (never-piloted units are the controls) or ``"notyet"``
        (never or not yet piloted).
    n_units, n_piloted, n_control
        Units in the balanced panel, of them piloted within the window, and never piloted.
    n_cohorts
        Pilot cohorts (distinct first piloted years) with estimates.
    few_units
        Fewer than :data:`FEW_UNITS` piloted units: the p-values of the effect
        rows come from randomisation inference.
    pretrend_method
        How the pre-trend p-value was computed: ``"randomization"`` or ``"asymptotic"`` (χ²).
    pretrend_cells
        Pre-period ATT(g,t) cells tested (0: the test could not be computed).
    pretrend_p_asymptotic
        The χ² p-value of the pre-trend test (R ``did``'s), whichever method is reported.
    pretrend_draws
        Valid permutations behind the randomisation pre-trend p-value (0 for ``"asymptotic"``).
    did_df
        Degrees of freedom of the TWFE interval (clusters − 1).
    draws, seed
        Permutations and seed of the randomisation inference.
    left_out_early
        Units piloted in or before ``first_year`` (no pre-period), left out.
    left_out_incomplete
        Units missing a year of the window, left out (balanced panel).
    left_out_no_start
        Piloted communities without a pilot start date, left out (:func:`evalkit.compare` only).
    recoded_late
        Units piloted after ``last_year``, counted as never piloted.
    trimmed_from
        Without never-piloted units (``control="notyet"``), the Callaway–Sant'Anna
        estimates leave out the years from this one on; else None.

    Examples
    --------
    >>> f = PilotFacts(outcome="y", level="city", unit_id="all", unit_name="全市", district="all",
    ...                first_year=2020, last_year=2024, control="never", n_units=60, n_piloted=6,
    ...                n_control=54, n_cohorts=2, few_units=True, pretrend_method="randomization",
    ...                pretrend_cells=5, pretrend_p_asymptotic=0.2, pretrend_draws=999, did_df=59,
    ...                draws=999, seed=1)
    >>> f.methods("pilot_att"), f.methods("pilot_did"), f.methods("pilot_pretrend")
    (('randomization', 'welch'), ('randomization', 'cluster_robust'), ('randomization', 'none'))
    """

    outcome: str
    level: str
    unit_id: str
    unit_name: str
    district: str
    first_year: int
    last_year: int
    control: Literal["never", "notyet"]
    n_units: int
    n_piloted: int
    n_control: int
    n_cohorts: int
    few_units: bool
    pretrend_method: Literal["randomization", "asymptotic"]
    pretrend_cells: int
    pretrend_p_asymptotic: float
    pretrend_draws: int
    did_df: int
    draws: int
    seed: int
    left_out_early: int = 0
    left_out_incomplete: int = 0
    left_out_no_start: int = 0
    recoded_late: int = 0
    trimmed_from: int | None = None

    @property
    def window(self) -> str:
        """The years used, as the rows' ``period`` (``"2020-2024"``)."""
        return f"{self.first_year}-{self.last_year}"

    def methods(self, indicator: str) -> tuple[PMethod, IntervalMethod]:
        """How the p-value and the interval of a row of ``indicator`` were computed.

        p: ``"randomization"`` (permutations of the first piloted years), ``"t"``
        (Student t) or ``"chi2"`` (the asymptotic pre-trend test).  Interval:
        ``"welch"`` (Welch–Satterthwaite t by cohort), ``"cluster_robust"`` (CR1,
        t with G − 1 df) or ``"none"``.
        """
        if indicator == "pilot_pretrend":
            return ("randomization" if self.pretrend_method == "randomization" else "chi2"), "none"
        p = "randomization" if self.few_units else "t"
        return p, ("cluster_robust" if indicator == "pilot_did" else "welch")


#: The facts as columns of :meth:`PilotResult.to_frame` (the unit's identity is in the table's own columns).
_IDENTITY = {"outcome": "category", "level": "level", "unit_id": "unit_id", "unit_name": "unit_name",
             "district": "district"}
FACT_COLUMNS = tuple(f.name for f in fields(PilotFacts) if f.name not in _IDENTITY)
_DTYPES = {"int": "Int64", "int | None": "Int64", "bool": "boolean", "float": "float64"}
ROW_COLUMNS = ("p_method", "interval_method")


@dataclass(frozen=True, eq=False, repr=False)
class PilotResult:
    """A pilot comparison: the long table and the facts of each unit compared.

    Returned by :func:`evalkit.compare` and :func:`evalkit.compare_panel`.

    Attributes
    ----------
    table
        The rows in the output contract (``evalkit.families._frame.COLUMNS``):
        ``indicator`` is one of ``pilot_att`` (the main result), ``pilot_did``,
        ``pilot_pretrend``, ``pilot_att_group``, ``pilot_event``,
        ``pilot_att_gt`` (docs/PILOT.md, "结果表中的各行 / Rows"); ``category``
        is the outcome; ``note`` is rendered in English from the facts.
    facts
        One :class:`PilotFacts` per unit compared, in the table's unit order.

    Notes
    -----
    ``to_frame(lang)`` gives the table with its notes in ``lang`` and the facts
    as columns, and :meth:`from_frame` reads such a frame back; ``explain(lang)``
    says it in plain words; in a notebook the result shows as a compact HTML
    table of the headline rows.

    Examples
    --------
    Twelve of thirty units piloted from 2022, with a planted effect of −2:

    >>> import numpy as np, pandas as pd
    >>> import evalkit
    >>> rng = np.random.default_rng(2)
    >>> first = np.repeat([2022] * 12 + [0] * 18, 4)
    >>> year = np.tile([2020, 2021, 2022, 2023], 30)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(30), 4), "year": year, "first": first,
    ...                       "y": 0.5 * rng.normal(size=120) - 2.0 * ((first > 0) & (year >= first))})
    >>> res = evalkit.compare_panel(panel, outcome="y", unit="unit", time="year", first_treated="first")
    >>> res
    PilotResult(10 rows; all · y · 2020-2023: ATT -2.08 (-2.56 to -1.60), p < 0.001; 12 piloted / 18 never piloted)
    >>> f = res.fact()
    >>> f.n_piloted, f.n_control, f.few_units, f.window, f.methods("pilot_att")
    (12, 18, False, '2020-2023', ('t', 'welch'))
    >>> res.table.loc[res.table["indicator"] == "pilot_att", ["value", "ci_low", "ci_high"]].round(2)
       value  ci_low  ci_high
    0  -2.08   -2.56     -1.6
    >>> print(res.explain("en").splitlines()[1])
    The average pilot effect (Callaway–Sant'Anna) is -2.08, 95% interval -2.56 to -1.60, p < 0.001. It is statistically significant at the 5% level.
    >>> print(res.explain("zh").splitlines()[1][:36])
    平均试点效应（Callaway–Sant'Anna 方法）为 -2.08
    >>> print(res.to_text("en").splitlines()[0])
    == whole city (all) · y ==
    >>> res.to_frame("zh").loc[0, ["indicator", "p_method", "interval_method", "note"]].tolist()
    ['pilot_att', 't', 'welch', "Callaway–Sant'Anna 方法，按试点批次聚合；对照组：从未试点的单位；区间：按试点批次的 Welch–Satterthwaite t 区间"]
    >>> PilotResult.from_frame(res.to_frame("zh")).facts == res.facts
    True
    >>> [name for name, _ in res.sheets("zh")]
    ['试点对比结果', '说明']
    """

    table: pd.DataFrame
    facts: tuple[PilotFacts, ...]

    def fact(self, unit_id: str | None = None) -> PilotFacts:
        """The facts of one unit (the only one when ``unit_id`` is None)."""
        if unit_id is None:
            if len(self.facts) != 1:
                raise ParameterError(
                    f"结果含 {len(self.facts)} 个单位，请给出 unit_id（{', '.join(f.unit_id for f in self.facts)}）。",
                    f"The result holds {len(self.facts)} units; give unit_id "
                    f"({', '.join(f.unit_id for f in self.facts)}).")
            return self.facts[0]
        check_choice("unit_id", unit_id, [f.unit_id for f in self.facts])
        return next(f for f in self.facts if f.unit_id == unit_id)

    def _with_facts(self, **changes) -> "PilotResult":
        """The result with ``changes`` made to every unit's facts and the table's notes rendered from them (internal)."""
        from evalkit.pilot._text import note

        facts = tuple(replace(f, **changes) for f in self.facts)
        by_unit = {f.unit_id: f for f in facts}
        table = self.table.assign(note=[note(by_unit[u], i, "en")
                                        for u, i in zip(self.table["unit_id"], self.table["indicator"])])
        return PilotResult(table=table, facts=facts)

    def rows(self, unit_id: str) -> pd.DataFrame:
        """The table's rows of one unit."""
        return self.table.loc[(self.table["unit_id"] == unit_id).to_numpy()]

    # ---------------------------------------------------------------- words

    def explain(self, lang: Lang = "zh") -> str:
        """A few sentences for a non-statistician: what was compared, the effect, pre-trends, caveats.

        With several units (one comparison per district) each unit's paragraph
        starts with its name.  Examples: see :class:`PilotResult`.
        """
        from evalkit.pilot._text import explain

        check_choice("lang", lang, get_args(Lang))
        parts = [explain(f, self.rows(f.unit_id), lang) for f in self.facts]
        if len(parts) == 1:
            return parts[0]
        from evalkit.pilot._text import unit_label

        return "\n\n".join(f"【{unit_label(f, lang)}】\n{p}" if lang == "zh" else f"[{unit_label(f, lang)}]\n{p}"
                           for f, p in zip(self.facts, parts))

    def to_text(self, lang: Lang = "zh") -> str:
        """A readable text table of every row, the notes and the plain-language paragraph (for a terminal)."""
        from evalkit.pilot._text import table_text

        check_choice("lang", lang, get_args(Lang))
        return table_text(self, lang)

    def summary(self, lang: Lang = "zh") -> list[str]:
        """One line per unit: what was compared, and the average pilot effect."""
        from evalkit.pilot._text import headline

        check_choice("lang", lang, get_args(Lang))
        return [headline(f, self.rows(f.unit_id), lang) for f in self.facts]

    def sheets(self, lang: Lang = "zh") -> list[tuple[str, pd.DataFrame]]:
        """The sheets of a workbook that explains itself: the rows, and what was compared in words.

        Returns
        -------
        list of (sheet name, DataFrame)
            ``试点对比结果`` / ``pilot comparison``: :meth:`to_frame` with the
            indicator's and the outcome's names, notes and method names in
            ``lang`` (Chinese headers for ``"zh"``); ``说明`` / ``about``: per
            unit the summary line and the paragraph of :meth:`explain`.  Write
            them with ``evalkit.families.output.xlsx_bytes`` (as ``evalkit
            compare --out X.xlsx`` does).
        """
        from evalkit.pilot._text import sheets

        check_choice("lang", lang, get_args(Lang))
        return sheets(self, lang)

    # ---------------------------------------------------------------- frames

    def to_frame(self, lang: Lang = "en") -> pd.DataFrame:
        """The table with its notes in ``lang``, each row's p-value and interval method, and the facts.

        Returns
        -------
        DataFrame
            ``COLUMNS`` of the output contract, then ``p_method``,
            ``interval_method`` and one column per field of :class:`PilotFacts`
            (the unit's identity is in ``category``, ``level``, ``unit_id``,
            ``unit_name``, ``district``).  :meth:`from_frame` reads it back.
        """
        from evalkit.pilot._text import note

        check_choice("lang", lang, get_args(Lang))
        parts = []
        for f in self.facts:
            rows = self.rows(f.unit_id).copy()
            ind = rows["indicator"].to_numpy()
            rows["note"] = [note(f, i, lang) for i in ind]
            methods = [f.methods(i) for i in ind]
            rows["p_method"] = [m[0] for m in methods]
            rows["interval_method"] = [m[1] for m in methods]
            for c in FACT_COLUMNS:
                rows[c] = getattr(f, c)
            parts.append(rows)
        out = pd.concat(parts, ignore_index=True)
        # nullable dtypes, so the frame keeps them beside rows without facts (a report's text rows)
        return out.astype({f.name: _DTYPES.get(f.type, "object") for f in fields(PilotFacts)
                           if f.name in FACT_COLUMNS})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "PilotResult":
        """Read back a frame written by :meth:`to_frame` (rows of other indicators are ignored).

        The table's notes are rendered again from the facts (in English).
        Examples: see :class:`PilotResult`.
        """
        missing = [c for c in ("indicator", "unit_id", *FACT_COLUMNS) if c not in frame.columns]
        if missing:
            raise ParameterError(
                f"这个表不是试点对比结果（PilotResult.to_frame() 的输出），缺少列：{', '.join(missing)}。",
                "This table is not a pilot comparison written by PilotResult.to_frame(); it lacks the "
                f"column(s) {', '.join(missing)}.")
        rows = frame.loc[frame["indicator"].isin(INDICATORS).to_numpy()]
        facts = []
        for uid in pd.unique(rows["unit_id"]):
            r = rows.loc[(rows["unit_id"] == uid).to_numpy()].iloc[0]
            kw = {k: str(r[v]) for k, v in _IDENTITY.items()}
            for f in fields(PilotFacts):
                if f.name in _IDENTITY:
                    continue
                v = r[f.name]
                if f.name == "trimmed_from":
                    v = None if pd.isna(v) else int(v)
                elif f.name == "few_units":
                    v = bool(v)
                elif f.name == "pretrend_p_asymptotic":
                    v = float(v)
                elif f.type == "int":
                    v = int(v)
                else:
                    v = str(v)
                kw[f.name] = v
            facts.append(PilotFacts(**kw))
        return cls(table=finalize(rows[list(COLUMNS)]), facts=tuple(facts))._with_facts()

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        from evalkit.pilot._text import short

        lines = [short(f, self.rows(f.unit_id)) for f in self.facts[:5]]
        more = f"\n  … {len(self.facts) - 5} more units" if len(self.facts) > 5 else ""
        return (f"PilotResult({len(self.table)} rows; "
                + ("\n  " if len(lines) > 1 else "") + "\n  ".join(lines) + more + ")")

    def _repr_html_(self) -> str:
        from evalkit.pilot._text import html

        return html(self)
