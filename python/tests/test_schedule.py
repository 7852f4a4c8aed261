"""rebal.run with strategy="schedule" and a targets DataFrame: a calendar rule reproduced to
the bit, a target-weight backtest from the user's own model, the same as the CLI's
--strategy schedule --when FILE.csv and --targets-csv FILE.csv; errors."""

import os

import numpy as np
import pandas as pd
import pytest

import rebal
from conftest import cli_json

ASSETS = {"AAPL": 0.25, "AMZN": 0.25, "IBM": 0.25, "MSFT": 0.25}
COSTS = {"fee_bps": 10, "spread_bps": 5, "tax_short": 0.35, "tax_long": 0.15}


def calendar_bars(result):
    """The bars a run rebalanced on (its rebalance orders' dates)."""
    o = result.orders
    return pd.DatetimeIndex(o[o["kind"] == "rebalance"]["date"].unique())


@pytest.mark.parametrize("every", ["quarter", "month", 5])
def test_targets_frame_and_schedule_reproduce_a_calendar_rule(stocks, every):
    cal = rebal.run(stocks, ASSETS, strategy="calendar", every=every, **COSTS)
    when = pd.Series(stocks.index.isin(calendar_bars(cal)), index=stocks.index)
    assert when.sum() == cal.metrics["rebalances"]
    table = pd.DataFrame([ASSETS], index=stocks.index[:1])
    sched = rebal.run(stocks, table, strategy="schedule", when=when, **COSTS)
    for k, v in cal.metrics.items():
        assert sched.metrics[k] == v or (v != v and sched.metrics[k] != sched.metrics[k]), k
    pd.testing.assert_frame_equal(sched.curve, cal.curve, check_exact=True)
    pd.testing.assert_frame_equal(sched.orders, cal.orders, check_exact=True)
    # static targets with the same schedule: the same again
    plain = rebal.run(stocks, ASSETS, strategy="schedule", when=calendar_bars(cal), **COSTS)
    assert plain.metrics == sched.metrics


def test_a_targets_frame_from_ones_own_model_is_traded_to(stocks):
    """Momentum-ish weights that change every quarter, rebalanced on each change: after each
    rebalance the weights are the row in force (before costs move them by a hair)."""
    dates = stocks.index[::3]
    rng = np.random.default_rng(3)
    w = rng.dirichlet(np.ones(4), size=len(dates))
    table = pd.DataFrame(w, index=dates, columns=list(ASSETS))
    r = rebal.run(stocks, table, strategy="schedule", when=dates[1:])
    assert r.metrics["rebalances"] == len(dates) - 1
    curve = r.curve
    for d, row in table.iloc[1:].iterrows():
        got = curve.loc[d, ["w_" + s for s in ASSETS]].to_numpy()
        assert np.allclose(got, row.to_numpy(), atol=1e-12), d
    assert r.run["settings"]["when"] == "array of %d times" % (len(dates) - 1)


def test_identical_to_the_cli_files(tmp_path, db, stocks):
    dates = stocks.index[::6]
    table = pd.DataFrame(np.tile([0.4, 0.1, 0.2, 0.3], (len(dates), 1)), index=dates, columns=list(ASSETS))
    table.iloc[::2] = [0.1, 0.4, 0.3, 0.2]
    when = pd.Series(stocks.index.isin(dates[1:]), index=stocks.index)
    wpath, tpath = tmp_path / "when.csv", tmp_path / "targets.csv"
    when.to_csv(wpath)  # date,0 / True / False rows, as pandas writes them
    table.to_csv(tpath, index_label="date", date_format="%Y-%m-%d")
    theirs = cli_json("run", "--db", db, "--assets", ",".join(ASSETS), "--strategy", "schedule", "--when", str(wpath),
                      "--targets-csv", str(tpath), "--fee-bps", "10")
    r = rebal.run(stocks, table, strategy="schedule", when=when, fee_bps=10)
    assert r.metrics == {k: v for k, v in theirs.items() if k not in ("run", "conventions")}


def test_report_of_a_scheduled_run(tmp_path, stocks):
    dates = stocks.index[::12]
    table = pd.DataFrame([ASSETS] * len(dates), index=dates)
    r = rebal.run(stocks, table, strategy="schedule", when=dates[1:])
    out = r.report(tmp_path / "rep", no_charts=True)
    assert out["configurations"] >= 1
    assert os.path.exists(tmp_path / "rep" / "when.csv") and os.path.exists(tmp_path / "rep" / "index.html")


def test_schedule_and_table_errors(stocks):
    when = stocks.index[[5, 10]]
    with pytest.raises(rebal.SettingsError, match="does not apply"):
        rebal.run(stocks, ASSETS, strategy="calendar", every="month", when=when)
    with pytest.raises(rebal.DataError, match="not a bar|is not one of the bars|between"):
        rebal.run(stocks, ASSETS, strategy="schedule", when=[stocks.index[3] + pd.Timedelta(days=1)])
    bad = pd.DataFrame([[0.5, 0.5, 0.5, 0.5]], index=stocks.index[:1], columns=list(ASSETS))
    with pytest.raises(rebal.SettingsError, match="sum"):
        rebal.run(stocks, bad, strategy="schedule", when=when)
    late = pd.DataFrame([ASSETS], index=stocks.index[3:4])
    with pytest.raises(rebal.DataError, match="after the first bar|first bar"):
        rebal.run(stocks, late, strategy="schedule", when=when)
    other = pd.DataFrame([{"AAPL": 0.5, "GOOG": 0.5}], index=stocks.index[:1])
    with pytest.raises(rebal.Error, match="GOOG"):
        rebal.run(stocks, other, strategy="schedule", when=when)
    with pytest.raises(rebal.SettingsError, match="inverse-vol"):
        rebal.run(stocks, pd.DataFrame([ASSETS], index=stocks.index[:1]), strategy="schedule", when=when,
                  target_mode="inverse-vol")
    with pytest.raises(rebal.SettingsError, match="target_mode"):
        rebal._settings.key_of("targets")  # run()'s weights argument: the setting is target_mode


def test_sweeps_take_schedules_and_tables_as_pandas_objects(tmp_path, stocks):
    """A dict spec with a targets DataFrame and two boolean schedules: each configuration's
    metrics are those rebal.run gives for it, the files are named by their content (the same
    ids on a second call, which finds the sweep complete in its results store)."""
    dates = stocks.index[::6]
    rng = np.random.default_rng(5)
    table = pd.DataFrame(rng.dirichlet(np.ones(4), size=len(dates)), index=dates, columns=list(ASSETS))
    quarterly = pd.Series(stocks.index.month.isin([1, 4, 7, 10]), index=stocks.index)
    changes = pd.Series(stocks.index.isin(dates[1:]), index=stocks.index)
    spec = {"data": {"assets": ",".join(ASSETS), "targets_csv": table},
            "costs": {"fee_bps": [0, 10]},
            "schedule": {"when": [quarterly, changes]},
            "calendar": {"every": "year"}}
    res = tmp_path / "r.db"
    df = rebal.sweep(stocks, spec, results=res, progress=False)
    assert len(df) == 6 and (df["status"] == "ok").all()
    assert len(os.listdir(tmp_path / "r.tables")) == 3  # one table, two schedules
    # the batch simulator against the reference, to 1e-9 as the engine's differential tests
    for when in (quarterly, changes):
        for fee in (0, 10):
            want = rebal.run(stocks, table, strategy="schedule", when=when, fee_bps=fee, keep=())
            rows = df[(df["section"] == "schedule") & (df["fee_bps"] == fee)]
            assert np.isclose(rows["final_value"], want.metrics["final_value"], rtol=1e-9, atol=0).sum() == 1
    yearly = rebal.run(stocks, table, strategy="calendar", every="year", fee_bps=10, keep=())
    row = df[(df["section"] == "calendar") & (df["fee_bps"] == 10)]
    assert np.isclose(row["final_value"].iloc[0], yearly.metrics["final_value"], rtol=1e-9, atol=0)
    again = rebal.sweep(stocks, spec, results=res, progress=False)
    assert again.attrs["rebal"]["summary"]["already"] == df.attrs["rebal"]["summary"]["sweep_id"]
    assert sorted(again["config_id"]) == sorted(df["config_id"])
    # without a results store the files go to a scratch directory, removed after
    alone = rebal.sweep(stocks, spec, progress=False)
    assert sorted(alone["final_value"]) == sorted(df["final_value"])
