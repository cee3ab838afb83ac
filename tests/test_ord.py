"""ORD export (engine/ord.py): hand-computed tables on a tiny run, and parity with the Oasis tools.

The tiny run (written by :func:`write_run` as the engine would): years 2001..2005 (first_year 2001,
so Period = year - 2000, P = 5), Q = 3 samples, keys ``portfolio``, ``product/a``, ``product/b``
(summary sets S1 = portfolio, S2 = product with summary ids a = 1, b = 2).

    event  year  doy (date)         product/a: mean; samples; exposure   product/b
    101    2001  32  (1 February)   10; [12, 0, 6]; 100                  -
    102    2001  200 (19 July)      20; [30, 10, 20]; 200                5; [5, 5, 5]; 80
    301    2003  366 (-> 31 Dec.)   40; [0, 60, 30]; 300                 8; [16, 0, 0]; 90
    401    2004  60  (1 March)      0;  [0, 0, 9]; 50                    -

Period values of product/a (AEP = total, OEP = largest event; zero periods not stored):
    sample -1: P1 30 (max 20), P3 40 (max 40)
    sample 1:  P1 42 (max 30)
    sample 2:  P1 10 (max 10), P3 60 (max 60)
    sample 3:  P1 26 (max 20), P3 30 (max 30), P4 9 (max 9)

EP rule (lecpy -r, docs/oasis.md §6): ranks i of the N trials have return period N/i; a target T
takes rank i* = the first with N/i* <= T; Loss = the i*-th value if N/i* = T, else linear in return
period from rank i*-1; 0 if that value is absent; TVaR = (sum of the top i*-1 + the losses of the
targets already met at i*) / (i* + their number - 1). Return periods used: 20 10 8 5 4 3 2 1.

The parity tests (skipped without oasislmf) run the Oasis tools on a tiny model, build the equivalent
run folder from the Oasis il loss stream and compare every ORD table the two produce.
"""
from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import ord as ordx
import engine.ord.export  # noqa: F401  (ordx.export for monkeypatching)

RPS = (20, 10, 8, 5, 4, 3, 2, 1)
EVENTS = {101: (2001, 32), 102: (2001, 200), 301: (2003, 366), 401: (2004, 60)}
LOSSES = {  # (event, key): (mean, samples, exposure)
    (101, "product/a"): (10.0, [12.0, 0.0, 6.0], 100.0),
    (102, "product/a"): (20.0, [30.0, 10.0, 20.0], 200.0),
    (301, "product/a"): (40.0, [0.0, 60.0, 30.0], 300.0),
    (401, "product/a"): (0.0, [0.0, 0.0, 9.0], 50.0),
    (102, "product/b"): (5.0, [5.0, 5.0, 5.0], 80.0),
    (301, "product/b"): (8.0, [16.0, 0.0, 0.0], 90.0),
}
KEYS = ["portfolio", "product/a", "product/b"]

# ORD columns copied from docs/oasis.md §5 (not from engine/ord.py)
DOC_COLUMNS = {
    "selt": "EventId, SummaryId, SampleId, Loss, ImpactedExposure",
    "melt": "EventId, SummaryId, SampleType, EventRate, ChanceOfLoss, MeanLoss, SDLoss, MaxLoss, "
            "FootprintExposure, MeanImpactedExposure, MaxImpactedExposure",
    "qelt": "EventId, SummaryId, Quantile, Loss",
    "splt": "Period, PeriodWeight, EventId, Year, Month, Day, Hour, Minute, SummaryId, SampleId, Loss, "
            "ImpactedExposure",
    "mplt": "Period, PeriodWeight, EventId, Year, Month, Day, Hour, Minute, SummaryId, SampleType, "
            "ChanceOfLoss, MeanLoss, SDLoss, MaxLoss, FootprintExposure, MeanImpactedExposure, MaxImpactedExposure",
    "qplt": "Period, PeriodWeight, EventId, Year, Month, Day, Hour, Minute, SummaryId, Quantile, Loss",
    "palt": "SummaryId, SampleType, MeanLoss, SDLoss",
    "alct": "SummaryId, MeanLoss, SDLoss, SampleSize, LowerCI, UpperCI, StandardError, RelativeError, "
            "VarElementHaz, StandardErrorHaz, RelativeErrorHaz, VarElementVuln, StandardErrorVuln, RelativeErrorVuln",
    "ept": "SummaryId, EPCalc, EPType, ReturnPeriod, Loss",
    "psept": "SummaryId, SampleId, EPType, ReturnPeriod, Loss",
}


def write_run(folder: Path, n_years: int, samples: int, events: dict, losses: dict, keys: list, *,
              first_year: int = 1, with_portfolio: bool = True, max_loss: dict | None = None,
              sources: dict | None = None, prefix: str = "") -> Path:
    """A finished run folder as the engine writes it, from per-(event, key) losses.

    ``events``: event -> (year, doy); ``losses``: (event, key) -> (mean, samples[Q], exposure);
    ``portfolio`` (if a key and ``with_portfolio``) is the sum over the ``product/`` keys.
    ``max_loss``: optional (event, key) -> MaxLoss, written as elt.parquet ``max_loss``;
    ``sources``: optional event -> source_event_id; ``prefix``: ``gul_`` for ground-up tables.
    """
    losses = dict(losses)
    if with_portfolio and "portfolio" in keys:
        for (event, key), (mean, draws, exposure) in list(losses.items()):
            if key.startswith("product/"):
                m, d, x = losses.get((event, "portfolio"), (0.0, [0.0] * samples, 0.0))
                losses[(event, "portfolio")] = (m + mean, [a + b for a, b in zip(d, draws)], x + exposure)
    folder.mkdir(parents=True, exist_ok=True)
    source = (lambda e: sources[e]) if sources else (lambda e: e)  # noqa: E731
    cat = lambda names: pd.Categorical(names, categories=keys)  # noqa: E731  (dictionary keys, as TableWriter)
    rows = sorted(losses.items(), key=lambda kv: (events[kv[0][0]], kv[0][0], keys.index(kv[0][1])))
    elt = pd.DataFrame({"event_id": [e for (e, _), _ in rows], "source_event_id": [source(e) for (e, _), _ in rows],
                        "peril": "test", "key": cat([k for (_, k), _ in rows]),
                        "mean_loss": [v[0] for _, v in rows],
                        "sd_loss": [float(np.std(v[1], ddof=1)) if samples > 1 else 0.0 for _, v in rows],
                        "exposure_value": [v[2] for _, v in rows]})
    if max_loss is not None:
        elt["max_loss"] = [max_loss[ek] for ek, _ in rows]
    elt.to_parquet(folder / f"{prefix}elt.parquet")
    plt_rows = [(events[e][0], e, source(e), events[e][1], s, k, loss) for (e, k), (mean, draws, _) in rows
                for s, loss in [(-1, mean)] + list(enumerate(draws, 1)) if loss > 0]
    plt = pd.DataFrame(plt_rows, columns=["year", "event_id", "source_event_id", "doy", "sample", "key", "loss"])
    plt = plt.sort_values(["year", "event_id", "sample", "key"],
                          key=lambda c: c.map(keys.index) if c.name == "key" else c)
    plt = plt.astype({"doy": np.int16, "sample": np.int16})
    plt["key"] = cat(plt["key"])
    plt.to_parquet(folder / f"{prefix}plt.parquet", index=False)
    ylt = (plt.groupby(["year", "sample", "key"], observed=True)["loss"].agg(["sum", "max"]).reset_index()
           .rename(columns={"sum": "loss", "max": "max_event_loss"}))
    ylt["key"] = cat(ylt["key"].astype(str))
    ylt.to_parquet(folder / f"{prefix}ylt.parquet", index=False)
    summary = {"_run": {"n_years": n_years, "samples": samples}}
    summary.update({k: {"aal": 0.0, "sum_insured": 1000.0 * (i + 1)} for i, k in enumerate(keys)})
    (folder / f"{prefix}summary.json").write_text(json.dumps(summary))
    (folder / "config.yaml").write_text(f"run:\n  n_years: {n_years}\n  first_year: {first_year}\n"
                                        f"  samples: {samples}\n")
    return folder


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    return write_run(tmp_path_factory.mktemp("ord") / "run", 5, 3, EVENTS, LOSSES, KEYS, first_year=2001)


@pytest.fixture(scope="session")
def exported(tiny_run):
    return ordx.export_ord(tiny_run, return_periods=RPS)


def read(folder: Path, set_no: int, table: str, fmt: str = "parquet") -> pd.DataFrame:
    path = folder / f"il_S{set_no}_{table}.{fmt}"
    return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)


def curve(ept: pd.DataFrame, summary_id: int, ep_type: int, label: str = "EPCalc", value: int = 1) -> dict:
    rows = ept[(ept.SummaryId == summary_id) & (ept.EPType == ep_type) & (ept[label] == value)]
    return dict(zip(rows.ReturnPeriod, rows.Loss))


# ---------------------------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------------------------

def test_columns_are_exactly_the_ord_columns(exported):
    for table, spec in DOC_COLUMNS.items():
        expected = spec.split(", ")
        for n in (1, 2):
            assert list(read(exported, n, table).columns) == expected, table
            assert (exported / f"il_S{n}_{table}.csv").read_text().splitlines()[0] == ",".join(expected)


def test_summary_info_maps_ids_to_keys(exported):
    assert "S1: portfolio" in (exported / "README.txt").read_text()
    s1 = pd.read_csv(exported / "il_S1_summary-info.csv")
    assert list(s1.columns) == ["summary_id", "key", "sum_insured"] and s1.key.tolist() == ["portfolio"]
    s2 = pd.read_csv(exported / "il_S2_summary-info.csv")
    assert list(s2.columns) == ["summary_id", "key", "product", "sum_insured"]
    assert s2.summary_id.tolist() == [1, 2] and s2.key.tolist() == ["product/a", "product/b"]
    assert s2["product"].tolist() == ["a", "b"] and s2.sum_insured.tolist() == [2000.0, 3000.0]
    assert sorted(p.name for p in exported.iterdir() if p.name.startswith("il_S3")) == []


def test_csv_and_parquet_hold_the_same_values(exported):
    for table in DOC_COLUMNS:
        for n in (1, 2):
            pq_, csv = read(exported, n, table), read(exported, n, table, "csv")
            assert len(pq_) == len(csv), table
            for col in pq_.columns:
                np.testing.assert_array_equal(pq_[col].to_numpy(), csv[col].to_numpy(), err_msg=f"{table}.{col}")


# ---------------------------------------------------------------------------------------------
# EPT / PSEPT (hand values, product/a = S2 summary 1)
# ---------------------------------------------------------------------------------------------

def test_ept_mean_damage_ratio(exported):
    ept = read(exported, 2, "ept")
    # EPCalc 1, N = P = 5. AEP values 40, 30 (RP 5, 2.5). T = 20, 10, 8 > 5: skipped.
    # T=5: rank 1 exact -> 40, TVaR 40. T=4: rank 2 (2.5 <= 4): (4-2.5)(40-30)/(5-2.5)+30 = 36, TVaR (40+36)/2 = 38.
    # T=3: rank 2 again: (3-2.5)*10/2.5+30 = 32, TVaR (40+36+32)/3 = 36 (lecpy's running update).
    # T=2: rank 3 (5/3 <= 2) absent -> 0, TVaR 70/3. T=1: rank 5 -> 0, TVaR 70/5 = 14.
    assert curve(ept, 1, 3) == pytest.approx({5: 40, 4: 36, 3: 32, 2: 0, 1: 0})
    assert curve(ept, 1, 4) == pytest.approx({5: 40, 4: 38, 3: 36, 2: 70 / 3, 1: 14})
    # OEP values 40, 20: T=4: 1.5*20/2.5+20 = 32, TVaR 36; T=3: 0.5*20/2.5+20 = 24, TVaR (40+32+24)/3 = 32;
    # T=2: 0, TVaR 60/3 = 20; T=1: 0, TVaR 60/5 = 12.
    assert curve(ept, 1, 1) == pytest.approx({5: 40, 4: 32, 3: 24, 2: 0, 1: 0})
    assert curve(ept, 1, 2) == pytest.approx({5: 40, 4: 36, 3: 32, 2: 20, 1: 12})


def test_ept_full_uncertainty(exported):
    ept = read(exported, 2, "ept")
    # EPCalc 2, N = P*Q = 15: AEP values 60, 42, 30, 26, 10, 9 (RP 15, 7.5, 5, 3.75, 3, 2.5). T = 20 > 15 skipped.
    # T=10: rank 2: (10-7.5)(60-42)/(15-7.5)+42 = 48, TVaR (60+48)/2 = 54. T=8: rank 2 again: 0.5*18/7.5+42 = 43.2,
    # TVaR (60+48+43.2)/3 = 50.4 (lecpy counts the loss at T=10 in, not (60+43.2)/2). T=5: rank 3 exact 30, TVaR 44.
    # T=4: rank 4 (3.75): (4-3.75)(30-26)/(5-3.75)+26 = 26.8, TVaR (132+26.8)/4 = 39.7. T=3: rank 5 exact 10,
    # TVaR 168/5 = 33.6. T=2: rank 8 (15/8 <= 2) beyond the 6 values -> 0, TVaR 177/8. T=1: 0, TVaR 177/15 = 11.8.
    assert curve(ept, 1, 3, value=2) == pytest.approx({10: 48, 8: 43.2, 5: 30, 4: 26.8, 3: 10, 2: 0, 1: 0})
    assert curve(ept, 1, 4, value=2) == pytest.approx({10: 54, 8: 50.4, 5: 44, 4: 39.7, 3: 33.6, 2: 177 / 8, 1: 11.8})
    # OEP values 60, 30, 30, 20, 10, 9: T=10: 2.5*30/7.5+30 = 40, TVaR 50; T=8: 0.5*30/7.5+30 = 32,
    # TVaR (60+40+32)/3 = 44; T=5: 30, TVaR (60+30+30)/3 = 40.
    oep, oep_tvar = curve(ept, 1, 1, value=2), curve(ept, 1, 2, value=2)
    assert (oep[10], oep[8], oep[5]) == pytest.approx((40, 32, 30))
    assert (oep_tvar[10], oep_tvar[8], oep_tvar[5]) == pytest.approx((50, 44, 40))


def test_ept_wheatsheaf_mean_and_sample_mean(exported):
    ept = read(exported, 2, "ept")
    # EPCalc 3, N = 5: per-sample sorted AEP s1 [42], s2 [60, 10], s3 [30, 26, 9]; rank means over Q = 3
    # (absent = 0): 132/3 = 44, 36/3 = 12, 9/3 = 3 (RP 5, 2.5, 5/3). T=4: 1.5*32/2.5+12 = 31.2, TVaR 37.6;
    # T=3: 0.5*32/2.5+12 = 18.4, TVaR (44+31.2+18.4)/3 = 31.2; T=2: rank 3: (2-5/3)(12-3)/(2.5-5/3)+3 = 6.6,
    # TVaR (44+12+6.6)/3; T=1: 0, TVaR 59/5 = 11.8.
    assert curve(ept, 1, 3, value=3) == pytest.approx({5: 44, 4: 31.2, 3: 18.4, 2: 6.6, 1: 0})
    assert curve(ept, 1, 4, value=3) == pytest.approx({5: 44, 4: 37.6, 3: 31.2, 2: 62.6 / 3, 1: 11.8})
    # EPCalc 4, N = 5: period means over samples P1 (42+10+26)/3 = 26, P3 90/3 = 30, P4 9/3 = 3 -> 30, 26, 3.
    # T=4: 1.5*4/2.5+26 = 28.4, TVaR 29.2; T=3: 26.8, TVaR 28.4; T=2: (1/3)(23)/(5/6)+3 = 12.2, TVaR 68.2/3;
    # T=1: 0, TVaR 11.8.
    assert curve(ept, 1, 3, value=4) == pytest.approx({5: 30, 4: 28.4, 3: 26.8, 2: 12.2, 1: 0})
    assert curve(ept, 1, 4, value=4) == pytest.approx({5: 30, 4: 29.2, 3: 28.4, 2: 68.2 / 3, 1: 11.8})
    # every EPCalc 1-4 x EPType 1-4 present
    assert set(zip(ept.EPCalc, ept.EPType)) == {(c, t) for c in (1, 2, 3, 4) for t in (1, 2, 3, 4)}


def test_psept_per_sample(exported):
    psept = read(exported, 2, "psept")
    # sample 2 AEP: 60, 10 (N = 5). T=4: 1.5*50/2.5+10 = 40, TVaR 50; T=3: 20, TVaR 40; T=2: 0, TVaR 70/3; T=1: 0, 14.
    assert curve(psept, 1, 3, "SampleId", 2) == pytest.approx({5: 60, 4: 40, 3: 20, 2: 0, 1: 0})
    assert curve(psept, 1, 4, "SampleId", 2) == pytest.approx({5: 60, 4: 50, 3: 40, 2: 70 / 3, 1: 14})
    # sample 1 OEP: 30 only
    assert curve(psept, 1, 1, "SampleId", 1) == pytest.approx({5: 30, 4: 0, 3: 0, 2: 0, 1: 0})
    assert sorted(psept[psept.SummaryId == 1].SampleId.unique()) == [1, 2, 3]


def test_full_curve_gives_every_rank(tiny_run, tmp_path):
    out = ordx.export_ord(tiny_run, tmp_path / "full", full_curve=True)
    ept, psept = read(out, 2, "ept"), read(out, 2, "psept")
    # EPCalc 1 AEP: (RP 5, 40), (2.5, 30); TVaR (5, 40), (2.5, 35)
    assert curve(ept, 1, 3) == pytest.approx({5: 40, 2.5: 30})
    assert curve(ept, 1, 4) == pytest.approx({5: 40, 2.5: 35})
    # EPCalc 2 AEP: six ranks, RP 15/i
    assert curve(ept, 1, 3, value=2) == pytest.approx({15: 60, 7.5: 42, 5: 30, 3.75: 26, 3: 10, 2.5: 9})
    assert curve(psept, 1, 3, "SampleId", 3) == pytest.approx({5: 30, 2.5: 26, 5 / 3: 9})
    assert "full curves" in (out / "README.txt").read_text()


# ---------------------------------------------------------------------------------------------
# PALT / ALCT
# ---------------------------------------------------------------------------------------------

Z95 = 1.9603949  # Abramowitz-Stegun 26.2.23 at p = 0.975 (exact normal quantile 1.959964)


def test_palt(exported):
    palt = read(exported, 2, "palt").set_index(["SummaryId", "SampleType"])
    # type 1: X_p = [30, 0, 40, 0, 0]: mean 70/5 = 14, SD sqrt((2500 - 70^2/5)/4) = sqrt(380)
    assert palt.loc[(1, 1)].tolist() == pytest.approx([14.0, math.sqrt(380.0)])
    # type 2: 15 (period, sample) values 42, 10, 60, 26, 30, 9 and zeros: mean 177/15 = 11.8,
    # SD sqrt((7121 - 177^2/15)/14) = sqrt(5032.4/14)
    assert palt.loc[(1, 2)].tolist() == pytest.approx([11.8, math.sqrt(5032.4 / 14)])
    # product/b type 1: X = [5, 0, 8, 0, 0]: mean 2.6, SD sqrt((89 - 13^2/5)/4)
    assert palt.loc[(2, 1)].tolist() == pytest.approx([2.6, math.sqrt((89 - 169 / 5) / 4)])


def test_alct_three_samples(exported):
    assert ordx.normal_quantile(0.95) == pytest.approx(Z95, abs=1e-6)
    alct = read(exported, 2, "alct")
    rows = alct[alct.SummaryId == 1].set_index("SampleSize")
    assert rows.index.tolist() == [1, 2, 3]            # subsets: sample 1, samples 2-3, all three
    # m = 1 (sample 1): X = [42, 0, 0, 0, 0]: mean 8.4, SD sqrt((1764 - 352.8)/4); vuln part 0 (one sample),
    # VarElementHaz = (1764 - 5*8.4^2)/4/5 = 70.56 -> SE_haz 8.4, relative 1; CI 0, 0 (SE 0)
    m1 = rows.loc[1]
    assert [m1.MeanLoss, m1.SDLoss, m1.StandardError, m1.LowerCI, m1.UpperCI] == pytest.approx(
        [8.4, math.sqrt(352.8), 0, 0, 0])
    assert [m1.VarElementHaz, m1.StandardErrorHaz, m1.RelativeErrorHaz, m1.VarElementVuln] == pytest.approx(
        [70.56, 8.4, 1.0, 0.0])
    # m = 2 (samples 2, 3): values 10, 26 | 60, 30 | 0, 9 (P1, P3, P4): N = 10, mean 13.5,
    # SD sqrt((5357 - 135^2/10)/9); B_p = 36, 90, 9: sum B^2 = 9477;
    # VarElementVuln = (5357 - 9477/2)/(10-2)/10 = 7.73125; VarElementHaz = (9477/4 - 5*13.5^2)/4/5 = 72.9
    m2 = rows.loc[2]
    se = math.sqrt(7.73125)
    assert [m2.MeanLoss, m2.SDLoss, m2.VarElementVuln, m2.VarElementHaz] == pytest.approx(
        [13.5, math.sqrt((5357 - 1822.5) / 9), 7.73125, 72.9])
    assert [m2.StandardError, m2.StandardErrorVuln, m2.RelativeError, m2.StandardErrorHaz] == pytest.approx(
        [se, se, se / 13.5, math.sqrt(72.9)])
    assert [m2.LowerCI, m2.UpperCI] == pytest.approx([13.5 - Z95 * se, 13.5 + Z95 * se], rel=1e-6)
    # m = 3 (all): mean 11.8 (= PALT type 2); B_p = 78, 90, 9: sum B^2 = 14265;
    # VarElementVuln = (7121 - 14265/3)/(15-3)/15 = 2366/180; VarElementHaz = (14265/9 - 5*11.8^2)/4/5 = 44.44
    m3 = rows.loc[3]
    assert [m3.MeanLoss, m3.VarElementVuln, m3.VarElementHaz] == pytest.approx([11.8, 2366 / 180, 44.44])


# ---------------------------------------------------------------------------------------------
# event and period tables
# ---------------------------------------------------------------------------------------------

def test_melt_both_sample_types(exported):
    melt = read(exported, 2, "melt").set_index(["EventId", "SummaryId", "SampleType"])
    cols = ["EventRate", "ChanceOfLoss", "MeanLoss", "SDLoss", "MaxLoss", "FootprintExposure",
            "MeanImpactedExposure", "MaxImpactedExposure"]
    # event 101, product/a: mean 10, samples [12, 0, 6], exposure 100. EventRate 1/5; MaxLoss max(10, 12) = 12.
    # type 1: ChanceOfLoss 0, SD 0, impacted 100, 100.
    assert melt.loc[(101, 1, 1), cols].tolist() == pytest.approx([0.2, 0, 10, 0, 12, 100, 100, 100])
    # type 2: mean 6, SD sqrt((36 + 36 + 0)/2) = 6, ChanceOfLoss 2/3, MeanImpacted 100*2/3
    assert melt.loc[(101, 1, 2), cols].tolist() == pytest.approx([0.2, 2 / 3, 6, 6, 12, 100, 200 / 3, 100])
    # event 401: mean 0, samples [0, 0, 9]: type 2 mean 3, SD sqrt((9 + 9 + 36)/2) = sqrt(27), MaxLoss 9
    assert melt.loc[(401, 1, 2), cols].tolist() == pytest.approx([0.2, 1 / 3, 3, math.sqrt(27), 9, 50, 50 / 3, 50])
    assert melt.loc[(401, 1, 1), "MeanLoss"] == 0.0
    # event 102, product/b: samples all 5 -> SD 0
    assert melt.loc[(102, 2, 2), ["MeanLoss", "SDLoss"]].tolist() == [5.0, 0.0]
    assert len(melt) == 2 * 6


def test_qelt_linear_quantiles(exported):
    qelt = read(exported, 2, "qelt")
    row = qelt[(qelt.EventId == 101) & (qelt.SummaryId == 1)]
    # sorted samples 0, 6, 12; pos = 2q + 1: q .05 -> 1.1 -> 0.6; .25 -> 1.5 -> 3; .5 -> 6; .75 -> 9;
    # .95 -> 2.9 -> 11.4; 1 -> 3 -> 12
    assert row.Quantile.tolist() == pytest.approx([0, 0.05, 0.25, 0.5, 0.75, 0.95, 1])
    assert row.Loss.tolist() == pytest.approx([0, 0.6, 3, 6, 9, 11.4, 12])
    np.testing.assert_allclose(row.Loss, np.quantile([12, 0, 6], row.Quantile))


def test_selt_rows(exported):
    selt = read(exported, 2, "selt")
    a401 = selt[(selt.EventId == 401) & (selt.SummaryId == 1)]
    # the -1 row is written even with a zero mean (ImpactedExposure 0 then); zero samples are omitted
    assert a401[["SampleId", "Loss", "ImpactedExposure"]].values.tolist() == [[-1, 0, 0], [3, 9, 50]]
    a101 = selt[(selt.EventId == 101) & (selt.SummaryId == 1)]
    assert a101.SampleId.tolist() == [-1, 1, 3] and a101.Loss.tolist() == [10, 12, 6]
    assert -4 not in selt.SampleId.values          # number of affected risks: not known to Qilu
    assert "SampleId -4 rows" in (exported / "README.txt").read_text()


def test_splt_and_mplt_dates(exported):
    splt, mplt = read(exported, 2, "splt"), read(exported, 2, "mplt")
    dates = splt.drop_duplicates("EventId").set_index("EventId")[["Period", "Year", "Month", "Day", "Hour", "Minute"]]
    # Period = year - 2000; doy 32 = 1 Feb, 200 = 19 Jul, 366 -> 31 Dec (non-leap year), 60 = 1 Mar
    assert dates.loc[101].tolist() == [1, 1, 2, 1, 0, 0]
    assert dates.loc[102].tolist() == [1, 1, 7, 19, 0, 0]
    assert dates.loc[301].tolist() == [3, 3, 12, 31, 0, 0]
    assert dates.loc[401].tolist() == [4, 4, 3, 1, 0, 0]
    assert (splt.PeriodWeight == 0.2).all()
    assert len(splt) == len(read(exported, 2, "selt"))
    # MPLT: event 401 product/a has no analytical row (mean 0) but a sample row
    assert mplt[(mplt.EventId == 401) & (mplt.SummaryId == 1)].SampleType.tolist() == [2]
    assert mplt.Period.is_monotonic_increasing
    qplt = read(exported, 2, "qplt")
    assert len(qplt) == 6 * 7 and qplt.Period.is_monotonic_increasing


def test_portfolio_set_sums_the_products(exported):
    palt = read(exported, 1, "palt").set_index("SampleType")
    # portfolio type 1: X_p = [35, 0, 48, 0, 0] -> mean 83/5
    assert palt.loc[1, "MeanLoss"] == pytest.approx(83 / 5)


def test_repeated_source_event_is_one_elt_event(tmp_path):
    # events 11 and 12 are two occurrences (years 1 and 3) of source event 7 with the same losses,
    # as an imported Oasis event occurring in two periods; event 20 is its own source
    events = {11: (1, 100), 12: (3, 200), 20: (2, 50)}
    losses = {(11, "product/a"): (10.0, [12.0, 0.0, 6.0], 100.0), (12, "product/a"): (10.0, [12.0, 0.0, 6.0], 100.0),
              (20, "product/a"): (5.0, [5.0, 4.0, 0.0], 50.0)}
    run = write_run(tmp_path / "run", 4, 3, events, losses, ["product/a"], sources={11: 7, 12: 7, 20: 20})
    out = ordx.export_ord(run, formats=("parquet",), return_periods=(4, 2))
    selt, melt, splt = read(out, 1, "selt"), read(out, 1, "melt"), read(out, 1, "splt")
    # ELT: one event 7 (rate 2/4) and event 20 (rate 1/4); PLT: event 7 in periods 1 and 3
    assert selt[selt.SampleId == -1].EventId.tolist() == [7, 20]
    assert dict(zip(melt.EventId, melt.EventRate)) == {7: 0.5, 20: 0.25}
    assert splt[splt.SampleId == -1][["Period", "EventId"]].values.tolist() == [[1, 7], [2, 20], [3, 7]]
    # both occurrences count in the period losses: sample -1 X_p = [10, 5, 10, 0] -> AAL 25/4
    palt = read(out, 1, "palt")
    assert palt[palt.SampleType == 1].MeanLoss.iloc[0] == pytest.approx(6.25)
    # occurrences with different losses: Qilu's event ids are kept, and the README says so
    losses[(12, "product/a")] = (11.0, [12.0, 0.0, 6.0], 100.0)
    run = write_run(tmp_path / "run2", 4, 3, events, losses, ["product/a"], sources={11: 7, 12: 7, 20: 20})
    out = ordx.export_ord(run, formats=("parquet",), return_periods=(4, 2))
    assert sorted(read(out, 1, "selt").EventId.unique()) == [11, 12, 20]
    assert "different losses" in (out / "README.txt").read_text()


def test_ground_up_results_are_exported_as_gul(tmp_path):
    run = write_run(tmp_path / "run", 5, 3, EVENTS, LOSSES, KEYS, first_year=2001)
    doubled = {ek: (2 * m, [2 * x for x in d], e) for ek, (m, d, e) in LOSSES.items()}
    write_run(run, 5, 3, EVENTS, doubled, KEYS, first_year=2001, prefix="gul_")
    out = ordx.export_ord(run, formats=("parquet",), return_periods=RPS)
    il, gul = read(out, 2, "palt").set_index(["SummaryId", "SampleType"]), pd.read_parquet(out / "gul_S2_palt.parquet")
    assert il.loc[(1, 1), "MeanLoss"] == pytest.approx(14.0)              # as test_palt
    assert gul.set_index(["SummaryId", "SampleType"]).loc[(1, 1), "MeanLoss"] == pytest.approx(28.0)
    assert sorted(p.name for p in out.glob("gul_S*_ept.parquet")) == ["gul_S1_ept.parquet", "gul_S2_ept.parquet"]
    assert "gul (ground-up loss)" in (out / "README.txt").read_text()


# ---------------------------------------------------------------------------------------------
# mean mode, errors, atomic output, CLI
# ---------------------------------------------------------------------------------------------

def test_mean_mode_writes_only_mean_rows(tmp_path):
    losses = {ek: (mean, [], x) for ek, (mean, _, x) in LOSSES.items()}
    run = write_run(tmp_path / "run", 5, 0, EVENTS, losses, KEYS, first_year=2001)
    out = ordx.export_ord(run, return_periods=RPS)
    assert set(read(out, 2, "melt").SampleType) == {1}
    assert set(read(out, 2, "mplt").SampleType) == {1}
    assert set(read(out, 2, "palt").SampleType) == {1}
    assert set(read(out, 2, "ept").EPCalc) == {1}
    assert set(read(out, 2, "selt").SampleId) == {-1}
    for table in ("psept", "qelt", "qplt", "alct"):
        assert read(out, 2, table).empty and read(out, 2, table, "csv").empty
    assert curve(read(out, 2, "ept"), 1, 3) == pytest.approx({5: 40, 4: 36, 3: 32, 2: 0, 1: 0})
    # MaxLoss is the mean in mean mode
    melt = read(out, 2, "melt")
    assert (melt.MaxLoss == melt.MeanLoss).all()
    assert "Mean mode" in (out / "README.txt").read_text()


def test_max_loss_column_is_used(tmp_path):
    rows = sorted(LOSSES) + [(e, "portfolio") for e in EVENTS]
    run = write_run(tmp_path / "run", 5, 3, EVENTS, LOSSES, KEYS, first_year=2001,
                    max_loss={ek: 1000.0 + i for i, ek in enumerate(rows)})
    melt = read(ordx.export_ord(run, formats=("parquet",)), 2, "melt")
    assert (melt.MaxLoss >= 1000).all()
    assert not (tmp_path / "run" / "ord" / "il_S1_ept.csv").exists()


def test_not_a_run_folder(tmp_path, capsys):
    (tmp_path / "half").mkdir()
    with pytest.raises(ordx.ExportError, match="not a finished Qilu run folder: no summary.json"):
        ordx.export_ord(tmp_path / "half")
    with pytest.raises(ordx.ExportError, match="is not a folder"):
        ordx.export_ord(tmp_path / "missing")
    with pytest.raises(SystemExit) as exit_info:
        ordx.main([str(tmp_path / "half")])
    assert exit_info.value.code == 2
    assert "qilu-export: error:" in capsys.readouterr().err
    assert not (tmp_path / "half" / "ord").exists()


def test_bad_options(tiny_run, tmp_path):
    for kwargs, message in (({"formats": ("xlsx",)}, "formats"), ({"return_periods": (10, 2.5)}, "whole years"),
                            ({"quantiles": (0.5, 2)}, "quantiles"), ({"confidence": 1.5}, "confidence")):
        with pytest.raises(ordx.ExportError, match=message):
            ordx.export_ord(tiny_run, tmp_path / "x", **kwargs)
    (tmp_path / "mine").mkdir()
    with pytest.raises(ordx.ExportError, match="not a Qilu ORD export"):
        ordx.export_ord(tiny_run, tmp_path / "mine")


def test_output_is_atomic(tiny_run, tmp_path, monkeypatch):
    out = tmp_path / "ord"
    ordx.export_ord(tiny_run, out, formats=("csv",))
    before = sorted(p.name for p in out.iterdir())
    calls = []

    def failing(table, stem, formats):
        calls.append(stem)
        if len(calls) % 7 == 0:
            raise OSError("disk full")
        stem.with_suffix(".csv").write_text("partial")

    monkeypatch.setattr(ordx.export, "_write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        ordx.export_ord(tiny_run, out, formats=("csv",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ord"]   # no partial folder left
    assert sorted(p.name for p in out.iterdir()) == before           # the previous export untouched
    with pytest.raises(OSError):
        ordx.export_ord(tiny_run, tmp_path / "new", formats=("csv",))
    assert not (tmp_path / "new").exists()


def test_cli_and_script(tiny_run, tmp_path):
    ordx.main([str(tiny_run), "--out", str(tmp_path / "cli"), "--format", "csv", "--return-periods", "5,2"])
    ept = read(tmp_path / "cli", 2, "ept", "csv")
    assert set(ept.ReturnPeriod) == {5, 2}
    assert not list((tmp_path / "cli").glob("*.parquet"))
    script = Path(__file__).resolve().parents[1] / "scripts" / "export.py"
    done = subprocess.run([sys.executable, str(script), str(tiny_run), "--out", str(tmp_path / "s"),
                           "--format", "parquet", "--full-curve"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "s" / "il_S2_ept.parquet").exists()
    bad = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2 and "no summary.json" in bad.stderr


# ---------------------------------------------------------------------------------------------
# parity with the Oasis tools (oasislmf 2.5.8): a tiny model, its il loss stream -> a Qilu run folder
# ---------------------------------------------------------------------------------------------

# Q = 10: ALCT subsets 1, 2, 4 and all. Not Q = 2^k - 1 (3, 7, ...): there aalpy 2.5.8 (do_calc_end) reads one
# value past its per-period sample array, and its PALT SampleType 2 and all-samples ALCT row come out as garbage
# (about 1e15 here with Q = 7); its smaller subsets and everything else still agree with the export.
P_OASIS, Q_OASIS = 10, 10
OASIS_RPS = (200, 100, 50, 30, 20, 10, 8, 7, 6, 5, 4, 3, 2, 1)
# occurrences (event, period, day of year): event 3 occurs twice; periods 3, 6 and 10 have no event
OASIS_OCCURRENCE = [(1, 1, 200), (2, 2, 150), (3, 2, 220), (4, 4, 1), (5, 5, 365), (6, 7, 59), (7, 7, 60),
                    (8, 9, 300), (3, 8, 100)]
OASIS_EVENTS = sorted({e for e, _, _ in OASIS_OCCURRENCE})
OASIS_FOOTPRINT = {(1, 1): {2: 1.0}, (1, 2): {3: 1.0}, (1, 3): {1: 1.0},
                   (2, 1): {1: 0.2, 2: 0.5, 3: 0.3}, (2, 4): {2: 1.0}, (3, 3): {3: 1.0}, (3, 4): {3: 1.0},
                   (4, 2): {2: 1.0}, (5, 1): {3: 1.0}, (5, 2): {3: 1.0}, (5, 3): {3: 1.0}, (5, 4): {3: 1.0},
                   (6, 4): {1: 0.5, 3: 0.5}, (7, 3): {2: 1.0}, (8, 1): {1: 1.0}, (8, 2): {2: 1.0}}
OASIS_VULN = {1: {1: [0.7, 0.3, 0, 0, 0], 2: [0.2, 0.4, 0.3, 0.1, 0], 3: [0, 0.1, 0.3, 0.4, 0.2]},
              2: {1: [0.9, 0.1, 0, 0, 0], 2: [0.5, 0.3, 0.2, 0, 0], 3: [0.1, 0.2, 0.3, 0.3, 0.1]}}
OASIS_ITEMS = pd.DataFrame({"item_id": [1, 2, 3, 4, 5, 6], "coverage_id": [1, 2, 3, 4, 5, 6],
                            "areaperil_id": [1, 1, 2, 3, 4, 4], "vulnerability_id": [1, 2, 1, 2, 1, 2],
                            "group_id": [1, 1, 2, 3, 3, 4]})
OASIS_TIV = [100_000.0, 50_000.0, 80_000.0, 120_000.0, 60_000.0, 90_000.0]


def _oasis_model_tables():
    """8 events, 9 occurrences over 10 periods (event 3 twice, 3 empty periods, 2 with two events);
    6 items, one FM level (calcrule 1, deductible 5,000, limit 60,000 per item)."""
    bins = pd.DataFrame({"bin_index": [1, 2, 3, 4, 5], "bin_from": [0.0, 0.0, 0.2, 0.5, 0.8],
                         "bin_to": [0.0, 0.2, 0.5, 0.8, 1.0], "interpolation": [0.0, 0.1, 0.35, 0.62, 0.9]})
    footprint = pd.DataFrame([(e, ap, h, p) for (e, ap), pdf in OASIS_FOOTPRINT.items() for h, p in pdf.items()],
                             columns=["event_id", "areaperil_id", "intensity_bin_id", "probability"])
    vulnerability = pd.DataFrame([(v, h, d + 1, p) for v, by_h in OASIS_VULN.items() for h, pdf in by_h.items()
                                  for d, p in enumerate(pdf) if p > 0],
                                 columns=["vulnerability_id", "intensity_bin_id", "damage_bin_id", "probability"])
    # dates from pandas' calendar (year 2001 is not a leap year), independent of engine/ord.py
    dates = [pd.Timestamp(2001, 1, 1) + pd.Timedelta(days=doy - 1) for _, _, doy in OASIS_OCCURRENCE]
    occurrence = pd.DataFrame({"event_id": [e for e, _, _ in OASIS_OCCURRENCE],
                               "period_no": [p for _, p, _ in OASIS_OCCURRENCE],
                               "occ_year": [p for _, p, _ in OASIS_OCCURRENCE],
                               "occ_month": [d.month for d in dates], "occ_day": [d.day for d in dates]})
    items = OASIS_ITEMS["item_id"]
    fm = {"fm_programme": pd.DataFrame({"from_agg_id": items, "level_id": 1, "to_agg_id": items}),
          "fm_policytc": pd.DataFrame({"level_id": 1, "agg_id": items, "layer_id": 1, "profile_id": 1}),
          "fm_profile": pd.DataFrame({"profile_id": [1], "calcrule_id": [1], "deductible1": [5000.0],
                                      "limit1": [60000.0]}),
          "fm_xref": pd.DataFrame({"output": items, "agg_id": items, "layer_id": 1})}
    return dict(footprint=footprint, vulnerability=vulnerability, damage_bins=bins,
                events=pd.DataFrame({"event_id": OASIS_EVENTS}), occurrence=occurrence, items=OASIS_ITEMS,
                coverages=pd.DataFrame({"coverage_id": range(1, 7), "tiv": OASIS_TIV}), fm=fm)


def _summarise_stream(stream: pd.DataFrame, summary_of_output) -> dict:
    """summarypy on a fmpy stream, in float32 like summarypy: per (event, summary) the sums of sidx
    -1 (mean), -3 (exposure), -5 (max loss) and 1..Q; kept if exposure or mean > 0 (no -z)."""
    width = Q_OASIS + 6            # columns: sidx -5..-1 at 0..4, samples 1..Q at 5..Q+4
    sums: dict = {}
    for row in stream.itertuples():
        cell = sums.setdefault((row.event_id, summary_of_output(row.item_id)), np.zeros(width, np.float32))
        if row.sidx in (-1, -3, -5) or row.sidx > 0:
            cell[row.sidx + 5 if row.sidx < 0 else row.sidx + 4] += np.float32(row.loss)
    return {ek: (float(v[4]), [float(x) for x in v[5:5 + Q_OASIS]], float(v[2]), float(v[0]))
            for ek, v in sums.items() if v[2] > 0 or v[4] > 0}


def _load_reference():
    path = Path(__file__).parent / "oasis" / "reference.py"
    spec = importlib.util.spec_from_file_location("qilu_oasis_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def oasis_parity(tmp_path_factory):
    pytest.importorskip("oasislmf")
    ref = _load_reference()
    root = tmp_path_factory.mktemp("ord_oasis")
    # il summary sets: 1 = all outputs, 2 = one per output (write_model's default); gul: set 1 only (unused
    # here, kept small because run_oasis runs the output tools on every set)
    gul_xref = pd.DataFrame({"item_id": OASIS_ITEMS["item_id"], "summary_id": 1, "summaryset_id": 1})
    occurrences = pd.Series([e for e, _, _ in OASIS_OCCURRENCE]).value_counts()
    rates = pd.DataFrame({"EventIds": OASIS_EVENTS, "Event_rates": [occurrences[e] / P_OASIS for e in OASIS_EVENTS]})
    model = ref.write_model(root / "model", **_oasis_model_tables(), summary_map={"gulsummaryxref": gul_xref},
                            n_periods=P_OASIS, return_periods=OASIS_RPS, event_rates=rates)
    out = ref.run_oasis(model, samples=Q_OASIS, work_dir=root / "run")
    # lecpy again without -r on the same summaries: the full curves
    lec = [[ref._tool("lecpy"), "--run_dir", str(root / "run"), "-K", f"il_S{s}_lec", *ref.LEC_SWITCHES,
            "-O", str(root / f"full_S{s}_ept.csv"), "-o", str(root / f"full_S{s}_psept.csv")] for s in (1, 2)]
    # cwd: the tools write a log/ folder into their working directory
    for proc in [subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for cmd in lec]:
        assert proc.wait() == 0, "lecpy failed"
    for s in (1, 2):
        out[f"full_S{s}_ept"] = pd.read_csv(root / f"full_S{s}_ept.csv")
        out[f"full_S{s}_psept"] = pd.read_csv(root / f"full_S{s}_psept.csv")
    # the Qilu run folder from the Oasis il stream: one Qilu event per occurrence (id 100 * period + event,
    # source_event_id the Oasis event); level portfolio = Oasis summary set 1 (all outputs), level policy =
    # set 2 (one summary per FM output, key policy/<output>)
    events = {100 * p + e: (p, doy) for e, p, doy in OASIS_OCCURRENCE}
    sources = {100 * p + e: e for e, p, _ in OASIS_OCCURRENCE}
    summaries = {"portfolio": _summarise_stream(out["il"], lambda o: 1),
                 "policy": _summarise_stream(out["il"], lambda o: o)}
    losses, max_loss = {}, {}
    for level, per_event in summaries.items():
        for (e, summary_id), values in per_event.items():
            key = "portfolio" if level == "portfolio" else f"policy/{summary_id}"
            for qilu_event in (q for q, source in sources.items() if source == e):
                losses[(qilu_event, key)], max_loss[(qilu_event, key)] = values[:3], values[3]
    keys = ["portfolio"] + [f"policy/{o}" for o in range(1, 7)]
    run = write_run(root / "qilu", P_OASIS, Q_OASIS, events, losses, keys, with_portfolio=False, max_loss=max_loss,
                    sources=sources)
    ours = ordx.export_ord(run, return_periods=OASIS_RPS, formats=("parquet",))
    full = ordx.export_ord(run, root / "full", full_curve=True, formats=("parquet",))
    return out, ours, full


PARITY_KEYS = {
    "ept": ["SummaryId", "EPCalc", "EPType", "ReturnPeriod"],
    "psept": ["SummaryId", "SampleId", "EPType", "ReturnPeriod"],
    "palt": ["SummaryId", "SampleType"], "alct": ["SummaryId", "SampleSize"],
    "melt": ["EventId", "SummaryId", "SampleType"], "qelt": ["EventId", "SummaryId", "Quantile"],
    "selt": ["EventId", "SummaryId", "SampleId"], "splt": ["Period", "EventId", "SummaryId", "SampleId"],
    "mplt": ["Period", "EventId", "SummaryId", "SampleType"], "qplt": ["Period", "EventId", "SummaryId", "Quantile"],
}


def _compare(theirs: pd.DataFrame, ours: pd.DataFrame, keys, label):
    """Same rows and, per column, equal to float32 precision (Oasis writes float32, 2 or 6 decimals)."""
    assert list(theirs.columns) == list(ours.columns), label
    theirs, ours = (f.sort_values(keys, kind="stable").reset_index(drop=True) for f in (theirs, ours))
    assert len(theirs) == len(ours), f"{label}: {len(theirs)} Oasis rows, {len(ours)} ours"
    for col in theirs.columns:
        a, b = theirs[col].to_numpy(float), ours[col].to_numpy(float)
        scale = np.nanmax(np.abs(a)) if np.isfinite(a).any() else 1.0
        np.testing.assert_allclose(b, a, rtol=2e-6, atol=max(5e-3, 1e-7 * scale), equal_nan=True,
                                   err_msg=f"{label}.{col}")


@pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment' option:Warning")
@pytest.mark.parametrize("table", ["ept", "psept", "palt", "alct", "melt", "qelt", "selt", "splt", "mplt", "qplt"])
def test_parity_with_oasis_tools(oasis_parity, table):
    out, ours, _ = oasis_parity
    for s in (1, 2):
        theirs = out[f"il_S{s}_{table}"]
        if table == "selt":
            theirs = theirs[theirs.SampleId != -4]          # number of affected risks: not exported
        if table == "qplt":
            theirs = theirs.assign(Quantile=theirs.Quantile.round(2))
        mine = read(ours, s, table)
        if table == "qplt":
            mine = mine.assign(Quantile=mine.Quantile.round(2))
        _compare(theirs, mine, PARITY_KEYS[table], f"S{s} {table}")


@pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment' option:Warning")
def test_parity_full_curves(oasis_parity):
    out, _, full = oasis_parity
    for s in (1, 2):
        for table in ("ept", "psept"):
            theirs = out[f"full_S{s}_{table}"]
            mine = read(full, s, table)
            # ReturnPeriod N/i is written as float32 by Oasis: match rows on the rounded value
            theirs = theirs.assign(ReturnPeriod=theirs.ReturnPeriod.round(4))
            mine = mine.assign(ReturnPeriod=mine.ReturnPeriod.round(4))
            _compare(theirs, mine, PARITY_KEYS[table], f"full S{s} {table}")
