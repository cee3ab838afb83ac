"""Claims-experience table validation: good tables load; bad ones name the file, row and column."""
import pandas as pd
import pytest

from engine.experience.table import ExperienceError, county_years, read_experience, validate_experience

GOOD = pd.DataFrame({"county": [370828, 370828, 370829], "crop": ["garlic", "garlic", "garlic"],
                     "year": [2021, 2022, 2022], "sum_insured": [1000.0, 2000.0, 500.0],
                     "indemnity": [0.0, 300.0, 50.0]})


def write(tmp_path, frame, name="t.csv"):
    path = tmp_path / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def test_good_table_loads_with_loss_cost(tmp_path):
    t = read_experience(write(tmp_path, GOOD))
    assert list(t.columns[:6]) == ["county", "crop", "year", "sum_insured", "indemnity", "loss_cost"]
    assert t["loss_cost"].tolist() == [0.0, 0.15, 0.1]
    cy = county_years(t)
    assert cy.loc[cy.county == 370828, "sum_insured"].sum() == 3000.0


def test_caller_frame_unchanged():
    before = GOOD.copy()
    validate_experience(GOOD)
    pd.testing.assert_frame_equal(GOOD, before)


@pytest.mark.parametrize("column,value,row,what", [
    ("sum_insured", 0.0, 3, "must be > 0"),
    ("sum_insured", "abc", 3, "finite number"),
    ("indemnity", -1.0, 3, "must be >= 0"),
    ("indemnity", 5000.0, 3, "exceeds"),
    ("county", 110101, 3, "Shandong county"),
    ("year", 2022.5, 3, "whole number"),
    ("crop", "", 3, "crop name"),
])
def test_bad_value_names_file_row_column(tmp_path, column, value, row, what):
    bad = GOOD.copy().astype({column: object})
    bad.loc[1, column] = value                     # second data row = line 3 of the CSV
    path = write(tmp_path, bad)
    with pytest.raises(ExperienceError) as err:
        read_experience(path)
    msg = str(err.value)
    assert str(path) in msg and f"row {row}" in msg and f"column '{column}'" in msg and what in msg


def test_parquet_rows_are_one_based(tmp_path):
    bad = GOOD.copy()
    bad.loc[2, "indemnity"] = -5.0
    with pytest.raises(ExperienceError, match=r"row 3, column 'indemnity'"):
        read_experience(write(tmp_path, bad, "t.parquet"))


def test_missing_column_duplicate_and_filters(tmp_path):
    with pytest.raises(ExperienceError, match=r"missing column\(s\) \['indemnity'\]"):
        read_experience(write(tmp_path, GOOD.drop(columns="indemnity")))
    dup = pd.concat([GOOD, GOOD.iloc[[0]]], ignore_index=True)
    with pytest.raises(ExperienceError, match=r"row 5, columns 'county, crop, year': duplicate"):
        read_experience(write(tmp_path, dup))
    with pytest.raises(ExperienceError, match=r"crop\(s\) \['apple'\] not in the file"):
        read_experience(write(tmp_path, GOOD), crops=["apple"])
    with pytest.raises(ExperienceError, match="not found"):
        read_experience(tmp_path / "nope.csv")
    assert set(read_experience(write(tmp_path, GOOD), counties=[370829])["county"]) == {370829}


def test_demo_tables_are_valid():
    from engine.config import data_path
    for name in ("garlic", "greenhouse_vegetable", "apple", "sea_cucumber"):
        t = read_experience(data_path(f"experience/{name}.csv"))
        assert len(t) > 40 and t["county"].nunique() >= 8


def test_optional_columns_may_be_blank_but_not_bad(tmp_path):
    t = GOOD.assign(policies=[10, None, 3], area_mu=[1.0, None, 2.0])
    out = read_experience(write(tmp_path, t))
    assert out["policies"].isna().sum() == 1 and out["area_mu"].isna().sum() == 1
    with pytest.raises(ExperienceError, match=r"row 4, column 'policies': must be >= 0"):
        read_experience(write(tmp_path, t.assign(policies=[10, None, -3])))
    with pytest.raises(ExperienceError, match=r"row 2, column 'area_mu': must be a finite number"):
        read_experience(write(tmp_path, t.assign(area_mu=["x", None, 2.0])))
