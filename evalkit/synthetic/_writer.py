"""Writers of the synthetic tables: Parquet (streamed row groups) and minimal-quoting CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.synthetic._params import ITEMS

_S, _I, _F, _D, _B = pa.string(), pa.int64(), pa.float64(), pa.date32(), pa.bool_()
SCHEMAS = {
    "communities": [("community_id", _S), ("community_name", _S), ("city", _S), ("district", _S),
                    ("street", _S), ("community_type", _S), ("households", _I),
                    ("population", _I), ("pilot", _B), ("pilot_start", _D)],
    "community_years": [("community_id", _S), ("year", _I), ("households", _I), ("population", _I),
                        ("party_members_registered", _I), ("party_members_floating", _I),
                        ("grid_workers", _I), ("big_party_committee", _B), ("service_area_m2", _F),
                        ("social_orgs", _I), ("grid_tier2", _I), ("grid_tier3", _I),
                        ("owners_committee_members", _I), ("building_heads", _I)],
    "disputes": [("case_id", _S), ("community_id", _S), ("reported_on", _D), ("category", _S),
                 ("source", _S), ("status", _S), ("resolved_on", _D), ("method", _S)],
    "volunteers": [("volunteer_id", _S), ("community_id", _S), ("registered_on", _D),
                   ("left_on", _D), ("birth_year", _I), ("gender", _S), ("party_member", _B),
                   ("team", _S)],
    "volunteer_hours": [("record_id", _S), ("volunteer_id", _S), ("served_on", _D),
                        ("hours", _F), ("service_type", _S)],
    "cadres": [("person_id", _S), ("community_id", _S), ("term_year", _I), ("role", _S),
               ("birth_year", _I), ("gender", _S), ("education", _S), ("party_member", _B),
               ("certified_social_worker", _B), ("concurrent_director", _B)],
    "survey_responses": [("respondent_id", _S), ("community_id", _S), ("wave", _I),
                         ("weight", _F), ("stratum", _S), ("psu", _S), ("fpc", _F)]
    + [(it[0], _I) for it in ITEMS],
    "survey_items": [("item_id", _S), ("text_zh", _S), ("text_en", _S), ("dimension", _S),
                     ("scale_min", _I), ("scale_max", _I), ("reverse", _B)],
    "targets": [("indicator", _S), ("level", _S), ("unit_id", _S), ("year", _I), ("target", _F)],
    "deliberations": [("item_id", _S), ("meeting_id", _S), ("community_id", _S), ("held_on", _D),
                      ("meeting_type", _S), ("units_present", _I), ("category", _S), ("source", _S),
                      ("request_id", _S), ("outcome", _S), ("implemented_on", _D), ("funds", _F),
                      ("published", _B)],
    "requests": [("request_id", _S), ("community_id", _S), ("received_on", _D), ("channel", _S),
                 ("request_type", _S), ("category", _S), ("due_on", _D), ("responded_on", _D),
                 ("responded_in_time", _B), ("closed_on", _D), ("resolution", _S), ("satisfaction", _S),
                 ("assessed", _B), ("visit_id", _S), ("case_id", _S)],
    "visits": [("visit_id", _S), ("community_id", _S), ("visited_on", _D), ("household_id", _S),
               ("visitor_role", _S), ("mode", _S), ("needs_found", _I)],
    "party_members": [("member_id", _S), ("community_id", _S), ("relation", _S), ("found_on", _D),
                      ("lost_since", _D), ("transferred_in_on", _D), ("reported_on", _D), ("left_on", _D),
                      ("owners_committee", _B), ("building_head", _B), ("volunteer_id", _S)],
    "projects": [("project_id", _S), ("community_id", _S), ("org_id", _S), ("org_name", _S),
                 ("programme", _S), ("year", _I), ("service_area", _S), ("amount_granted", _F),
                 ("amount_spent", _F), ("beneficiaries", _I), ("status", _S), ("grade", _S)],
}


#: Blocks are buffered up to this many rows, then written (one Parquet row group).
ROW_GROUP_ROWS = 1 << 17


class _Writer:
    """One open file per table; ``write`` buffers a block, flushed every ~130k rows."""

    def __init__(self, folder: Path, fmt: str):
        self.folder, self.fmt, self.open, self.buffer = folder, fmt, {}, {}

    def write(self, name: str, cols: dict) -> None:
        schema = pa.schema(SCHEMAS[name])
        table = pa.table({f.name: _arr(cols[f.name], f.type) for f in schema}, schema=schema)
        buf = self.buffer.setdefault(name, [])
        buf.append(table)
        if sum(t.num_rows for t in buf) >= ROW_GROUP_ROWS:
            self._flush(name)

    def _flush(self, name: str) -> None:
        buf = self.buffer.pop(name, [])
        if not buf:
            return
        schema = buf[0].schema
        table = pa.concat_tables(buf).combine_chunks()
        if name not in self.open:
            path = self.folder / f"{name}.{self.fmt}"
            if self.fmt == "csv":
                fh = open(path, "wb")
                fh.write(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel in Chinese opens it
                fh.write((",".join(schema.names) + "\n").encode("utf-8"))
                self.open[name] = (None, fh)
            else:
                import pyarrow.parquet as pq

                w = pq.ParquetWriter(path, schema, compression="zstd", compression_level=3,
                                     version="2.6", use_dictionary=True, write_statistics=True,
                                     store_schema=True)
                self.open[name] = (w, None)
        writer, fh = self.open[name]
        if fh is None:  # Parquet: the whole buffer is one row group
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
        else:
            fh.write(_csv_bytes(table))

    def close(self, flush: bool = True) -> None:
        if flush:
            for name in list(self.buffer):
                self._flush(name)
        for w, fh in self.open.values():
            if w is not None:
                w.close()
            if fh is not None:
                fh.close()
        self.open = {}


def _csv_bytes(table: pa.Table) -> bytes:
    """RFC 4180 CSV rows of ``table`` (no header), quoting only the cells that need it.

    Strings are written as they are unless they hold a comma, a double quote
    or a line break (then quoted, quotes doubled); numbers in Arrow's shortest
    round-trip form, dates ISO, booleans ``true``/``false``, missing empty.
    Vectorised with Arrow compute (no loop over rows).
    """
    if table.num_rows == 0:
        return b""
    cols = []
    for col in table.columns:
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if pa.types.is_string(col.type):
            need = pc.match_substring_regex(col, '[",\r\n]')
            if pc.any(need).as_py():
                quoted = pc.binary_join_element_wise(
                    '"', pc.replace_substring(col, '"', '""'), '"', "")
                col = pc.if_else(need, quoted, col)
        else:
            col = pc.cast(col, pa.string())
        cols.append(pc.fill_null(col, ""))
    line = pc.binary_join_element_wise(*cols, ",")
    line = pc.binary_join_element_wise(line, "", "\n")  # line + "\n"
    whole = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(line)], pa.int32()), line), "")
    return whole[0].as_py().encode("utf-8")


def _arr(v, typ):
    if isinstance(v, (pa.Array, pa.ChunkedArray)):
        return v.cast(typ) if v.type != typ else v
    if isinstance(v, np.ma.MaskedArray):
        data, mask = np.ma.getdata(v), np.ma.getmaskarray(v)
        if typ == _D:
            return pa.array(data.astype("datetime64[D]").astype(np.int32), mask=mask).cast(_D)
        return pa.array(data, mask=mask, type=typ)
    v = np.asarray(v)
    if typ == _D:
        return pa.array(v.astype("datetime64[D]").astype(np.int32)).cast(_D)
    return pa.array(v, type=typ)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, s, "")


def _take(strings, idx) -> pa.Array:
    return pc.take(pa.array(list(strings), type=pa.string()), pa.array(np.asarray(idx, dtype=np.int64)))


def _cat(rng, probs, n) -> np.ndarray:
    """Vectorised categorical draws; ``probs`` is (k,) or (n, k)."""
    cum = np.cumsum(np.asarray(probs, dtype=float), axis=-1)
    cum = cum / cum[..., -1:]
    u = rng.random(n)
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), cum.size - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)
