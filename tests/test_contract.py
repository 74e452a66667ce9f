"""The contract module: code labels and header normalisation."""

from evalkit.contract import TABLES, category_label, code_map, header_map, normalise_header


def test_category_label_resolves_ambiguous_codes_by_kind():
    assert category_label("property") == "物业纠纷"               # first list: dispute categories
    assert category_label("property", "zh", "dimension") == "物业"
    assert category_label("college", "zh", "education") == "大专"
    assert category_label("college", "en") == "college (dazhuan)"
    assert category_label("junior_high", "en") == "junior high school"
    assert category_label("party_org", "en", "dimension") == "Party organisation"
    assert category_label("other", "en") == "other"                      # no special label needed
    assert category_label(None) == "" and category_label(float("nan")) == ""
    assert category_label("unknown_code", "zh") == "unknown_code"


def test_every_chinese_alias_maps_to_one_column():
    for table in TABLES.values():
        m = header_map(table)
        for col in table.columns:
            assert m[normalise_header(col.zh)] == col.name
    assert normalise_header(" 区（县） ") == "区(县)"


def test_code_labels_map_to_codes():
    status = TABLES["disputes"].column("status")
    m = code_map(status)
    assert m["已化解"] == "resolved" and m["resolved"] == "resolved" and m["上交转办"] == "escalated"
