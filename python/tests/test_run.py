"""rebal.run: the same numbers as `rebal run` to the bit (metrics, curve, orders, lots) for
every rule and cost model on the bundled data, from a DataFrame or a Store; settings written
the Python way; documentation generated from the settings table; errors; no leaks."""

import json
import os

import numpy as np
import pandas as pd
import pytest

import rebal
from conftest import cli, cli_json
from rebal._frames import csv_frame

ASSETS = {"AAPL": 0.25, "AMZN": 0.25, "IBM": 0.25, "MSFT": 0.25}
ASSETS_TEXT = "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25"

# (strategy, python settings, the same as CLI flags)
CASES = [
    ("buy-and-hold", {}, []),
    ("calendar", {"every": "quarter"}, ["--every", "quarter"]),
    ("calendar", {"every": 3, "fee_bps": 10, "fee_min": 1}, ["--every", "3", "--fee-bps", "10", "--fee-min", "1"]),
    ("threshold", {"band": 0.05}, ["--band", "0.05"]),
    ("threshold", {"band": 0.1, "band_rel": 0.25, "to": "inner:0.5", "spread_bps": 5},
     ["--band", "0.1", "--band-rel", "0.25", "--to", "inner:0.5", "--spread-bps", "5"]),
    ("hybrid", {"every": "month", "band": 0.05, "tax_short": 0.35, "tax_long": 0.15, "tax_lots": "hifo"},
     ["--every", "month", "--band", "0.05", "--tax-short", "0.35", "--tax-long", "0.15", "--tax-lots", "hifo"]),
    ("vol-band", {"band": 0.05, "vol_window": 6}, ["--band", "0.05", "--vol-window", "6"]),
    ("vol-band", {"band": 0.05, "vol_model": "ewma:0.9", "target_mode": "inverse-vol"},
     ["--band", "0.05", "--vol-model", "ewma:0.9", "--targets", "inverse-vol"]),
    ("threshold", {"band": 0.05, "slippage_bps": {"AAPL": 20, "*": 5}, "exec": "next-open"},
     ["--band", "0.05", "--slippage-bps", "5,AAPL=20", "--exec", "next-open"]),
    ("calendar", {"every": "year", "contribution": 1000, "contribution_every": "quarter", "min_trade": 50},
     ["--every", "year", "--contribution", "1000", "--contribution-every", "quarter", "--min-trade", "50"]),
]


@pytest.mark.parametrize("strategy,settings,flags", CASES)
def test_metrics_curve_orders_lots_identical_to_the_cli(tmp_path, db, store, stocks, strategy, settings, flags):
    paths = {k: str(tmp_path / (k + ".csv")) for k in ("curve", "trades", "lots")}
    theirs = cli_json("run", "--db", db, "--assets", ASSETS_TEXT, "--strategy", strategy, *flags,
                      "--curve", paths["curve"], "--trades", paths["trades"], "--lots", paths["lots"])
    for prices in (stocks, store):
        r = rebal.run(prices, ASSETS, strategy=strategy, **settings)
        assert r.json["run"]["settings"] == theirs["run"]["settings"]
        assert r.json == theirs  # every metric to the bit (JSON doubles read back exactly)
        assert r.metrics["final_value"] == theirs["final_value"]
        assert r.conventions == theirs["conventions"]
        with open(paths["curve"]) as f:
            pd.testing.assert_frame_equal(r.curve, csv_frame(f.read()), check_exact=True)
        with open(paths["trades"]) as f:
            pd.testing.assert_frame_equal(r.orders, csv_frame(f.read(), index=None), check_exact=True)
        with open(paths["lots"]) as f:
            pd.testing.assert_frame_equal(r.lots, csv_frame(f.read(), dates=("open_date", "close_date"), index=None),
                                          check_exact=True)


def test_crypto_amm_and_gas_identical_to_the_cli(db, store):
    flags = ["--assets", "BTC=0.4,ETH=0.3,USDS=0.3", "--strategy", "threshold", "--band", "0.1", "--amm-depth",
             "BTC=5e7,ETH=2e7", "--gas", "2", "--impact", "0.1"]
    theirs = cli_json("run", "--db", db, *flags)
    r = rebal.run(store, {"BTC": 0.4, "ETH": 0.3, "USDS": 0.3}, strategy="threshold", band=0.1,
                  amm_depth={"BTC": 5e7, "ETH": 2e7}, gas=2, impact=0.1)
    assert r.json == theirs


def test_cash_and_a_price_frame_of_ones_own(db):
    """A DataFrame the user built (not from a store), with CASH in the targets."""
    idx = pd.date_range("2020-01-01", periods=120, freq="D")
    rng = np.random.default_rng(7)
    px = pd.DataFrame({"X": 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 120))),
                       "Y": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, 120)))}, index=idx)
    r = rebal.run(px, {"X": 0.5, "Y": 0.3, "CASH": 0.2}, strategy="threshold", band=0.02, cash_rate=0.02)
    assert r.metrics["rebalances"] > 0
    assert list(r.curve.columns) == ["value", "cash", "flow", "drawdown", "w_X", "w_Y", "w_CASH"]
    assert r.curve.index.tz is not None and len(r.curve) == 120
    assert abs(r.curve["w_CASH"].iloc[0] - 0.2) < 1e-12
    assert len(r.realized) <= len(r.lots)


def test_settings_spelled_the_python_way(stocks):
    a = rebal.run(stocks, ASSETS, strategy="threshold", band=0.05, start="2002-01-01", fee_bps=np.float64(10))
    b = rebal.run(stocks, ASSETS_TEXT, strategy="threshold", band="5%", start=pd.Timestamp("2002-01-01"),
                  fee_bps=10)
    assert a.metrics == b.metrics
    assert a.metrics["start"] == "2002-01-01"


def test_bad_settings_raise_with_the_cli_message(stocks):
    with pytest.raises(rebal.SettingsError, match="did you mean fee_bps"):
        rebal.run(stocks, ASSETS, fee_bsp=10)
    with pytest.raises(rebal.SettingsError, match="--band") as e:
        rebal.run(stocks, ASSETS, strategy="threshold", band=1.5)
    assert isinstance(e.value, ValueError)
    r = cli("run", "--csv", "x.csv", "--assets", ASSETS_TEXT, "--band", "1.5", check=False)
    assert str(e.value) in r.stderr
    with pytest.raises(rebal.SettingsError, match="strategy"):
        rebal.run(stocks, ASSETS, strategy="momentum")
    with pytest.raises(rebal.Error, match="sum"):
        rebal.run(stocks, {"AAPL": 0.5, "MSFT": 0.6}, strategy="buy-and-hold")
    with pytest.raises(rebal.DataError, match="TSLA"):
        rebal.run(stocks, {"AAPL": 0.5, "TSLA": 0.5}, strategy="buy-and-hold")
    with pytest.raises(rebal.SettingsError, match="threshold needs --band"):
        rebal.run(stocks, ASSETS)  # the default rule, threshold, needs its band
    with pytest.raises(rebal.SettingsError, match="keep"):
        rebal.run(stocks, ASSETS, keep=("equity",))
    with pytest.raises(rebal.SettingsError, match="targets"):
        rebal.run(stocks, 42)
    with pytest.raises(rebal.SettingsError, match="prices"):
        rebal.run([1, 2, 3], ASSETS)


def test_help_lists_every_setting_with_its_range():
    doc = rebal.run.__doc__
    table = rebal.settings()
    assert len(table) > 30
    for _, row in table.iterrows():
        assert "%s : %s" % (row["name"], row["arg"]) in doc, row["name"]
    assert "fee_bps : BPS" in doc and "Values: 0 to" in doc
    assert "one of: fifo, lifo, hifo, avg" in doc
    assert set(rebal.strategies()["name"]) >= {"buy-and-hold", "calendar", "threshold", "hybrid", "vol-band"}
    assert "after_tax_value" in set(rebal.metrics()["name"])


def test_report_of_a_run(tmp_path, stocks):
    r = rebal.run(stocks, ASSETS, strategy="threshold", band=0.05)
    out = rebal.report(r, tmp_path / "rep", no_charts=True)
    assert os.path.exists(tmp_path / "rep" / "index.html")
    assert out["configurations"] >= 1


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_ten_thousand_runs_keep_rss_flat(stocks):
    """Reference counts and the library's memory: RSS after 10,000 runs is what it was
    after the first 1,000 (a leak of one small object per run would show as megabytes)."""
    small = stocks.iloc[:60]
    for _ in range(1000):
        rebal.run(small, ASSETS, band=0.05, keep=())
    before = rss_kb()
    for _ in range(9000):
        rebal.run(small, ASSETS, band=0.05, keep=())
    grown = rss_kb() - before
    assert grown < 4096, "RSS grew by %d kB over 9,000 runs" % grown
    for _ in range(200):
        r = rebal.run(small, ASSETS, band=0.05)
        r.curve, r.orders, r.lots
    before = rss_kb()
    for _ in range(800):
        r = rebal.run(small, ASSETS, band=0.05)
        r.curve, r.orders, r.lots
    grown = rss_kb() - before
    assert grown < 4096, "RSS grew by %d kB over 800 runs with frames" % grown
