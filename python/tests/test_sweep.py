"""rebal.sweep: the same rows as `rebal sweep` to the bit, typed columns, specifications as
text, path or dict, the results store (resumable), progress, Ctrl-C, errors."""

import _thread
import os
import sqlite3
import threading

import numpy as np
import pandas as pd
import pytest

import rebal
from conftest import cli

SPEC = """; a small sweep of the bundled stocks
[data]
assets = AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25

[costs]
fee-bps = 0, 10
spread-bps = 5

[tax]
tax-short = 0.35
tax-long = 0.15

[buy-and-hold]

[calendar]
every = month, quarter, year

[threshold]
band = 0.02:0.2:0.02

[threshold.inner]
band = 0.05, 0.1
to = inner:0.5

[hybrid]
every = month
band = 0.05, 0.1
"""


def store_runs(path):
    with sqlite3.connect(path) as con:
        df = pd.read_sql_query("SELECT * FROM runs ORDER BY config_id", con)
    # A metric column that is NULL in every row (beta without a benchmark, the whole-series
    # var_95 in a sweep) reads as objects; rebal.sweep's metrics are float64, NaN where NULL.
    for name in rebal.metrics()["name"]:
        df[name] = df[name].astype("float64")
    return df.drop(columns=["sweep_id"])


@pytest.fixture(scope="module")
def cli_results(db, tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    (d / "spec.ini").write_text(SPEC)
    cli("sweep", str(d / "spec.ini"), "--db", db, "--results", str(d / "r.db"), "--quiet", check=False)
    assert os.path.exists(d / "r.db")
    return store_runs(str(d / "r.db")), str(d / "spec.ini")


def comparable(df):
    """Rows by config_id; texts (categories or objects) as objects, None where missing."""
    out = df.sort_values("config_id").reset_index(drop=True).copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) == "category":
            col = out[c].astype(object)
            out[c] = col.where(col.notna(), None)
    out["depleted_on"] = pd.to_datetime(out["depleted_on"], utc=True)
    return out


def test_rows_identical_to_the_cli(stocks, cli_results):
    theirs, _ = cli_results
    mine = rebal.sweep(stocks, SPEC, progress=False)
    assert len(mine) == len(theirs) == 2 * (1 + 3 + 10 + 2 + 2)
    assert list(mine.columns) == list(theirs.columns)
    a, b = comparable(mine), comparable(theirs)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    metrics = list(rebal.metrics()["name"])
    assert np.array_equal(a[metrics].to_numpy(), b[metrics].to_numpy(), equal_nan=True)


def test_the_date_a_withdrawal_plan_ran_out_is_the_clis(db, store, tmp_path):
    """depleted_on: the plan that empties the portfolio has the date the CLI stores for it
    (as UTC times, to the nanosecond), the other none (NaT)."""
    spec = ("[data]\nassets = AAPL=0.25, AMZN=0.25, IBM=0.25, MSFT=0.25\n"
            "[flows]\ncontribution = -1000, -30000\ncontribution-every = year\n"
            "[calendar]\nevery = quarter\n")
    (tmp_path / "w.ini").write_text(spec)
    cli("sweep", str(tmp_path / "w.ini"), "--db", db, "--results", str(tmp_path / "w.db"), "--quiet")
    theirs = store_runs(str(tmp_path / "w.db")).set_index("config_id")["depleted_on"]
    mine = rebal.sweep(store, spec, progress=False).set_index("config_id")["depleted_on"]
    assert str(mine.dtype) == "datetime64[ns, UTC]"
    assert mine.isna().sum() == 1 and mine.notna().sum() == 1
    pd.testing.assert_series_equal(mine.sort_index(), pd.to_datetime(theirs, utc=True).sort_index(),
                                   check_names=False)


def test_typed_columns(stocks):
    df = rebal.sweep(stocks, SPEC, progress=False)
    assert df["config_id"].dtype == np.int64
    assert df["band"].dtype == np.float64 and df["fee_bps"].dtype == np.float64
    assert df["after_tax_value"].dtype == np.float64
    assert str(df["depleted_on"].dtype) == "datetime64[ns, UTC]"
    assert set(df["strategy"].astype(str)) == {"buy-and-hold", "calendar", "threshold", "hybrid"}
    assert (df["status"] == "ok").all() and df["error"].isna().all()
    assert "to_mode" in df.columns and "every" in df.columns
    # numbers compare as numbers: 5 <= 10, 0.1 == 0.10
    assert (df["fee_bps"] <= 10).all()
    assert len(df[(df["section"] == "threshold") & (df["band"] == 0.1)]) == 2
    # spec order: the bands come in the order written
    bands = df[df["section"] == "threshold"]["band"].unique()
    assert np.all(np.diff(bands) > 0)


def test_dict_text_and_path_give_the_same_rows(stocks, cli_results):
    _, path = cli_results
    spec = {
        "data": {"assets": "AAPL=0.25,AMZN=0.25,IBM=0.25,MSFT=0.25"},
        "costs": {"fee_bps": [0, 10], "spread_bps": 5},
        "tax": {"tax_short": 0.35, "tax_long": 0.15},
        "buy-and-hold": {},
        "calendar": {"every": ["month", "quarter", "year"]},
        "threshold": {"band": np.round(np.arange(0.02, 0.2001, 0.02), 10)},
        "threshold.inner": {"band": [0.05, 0.1], "to": "inner:0.5"},
        "hybrid": {"every": "month", "band": [0.05, 0.1]},
    }
    a = rebal.sweep(stocks, SPEC, progress=False)
    b = rebal.sweep(stocks, spec, progress=False)
    c = rebal.sweep(stocks, path, progress=False)
    pd.testing.assert_frame_equal(a, c, check_exact=True)
    assert sorted(a["config_id"]) == sorted(b["config_id"])  # the same configurations, the same ids
    pd.testing.assert_frame_equal(comparable(a)[["config_id", "final_value"]],
                                  comparable(b)[["config_id", "final_value"]], check_exact=True)


def test_threads_do_not_change_results(stocks):
    one = rebal.sweep(stocks, SPEC, threads=1, progress=False)
    two = rebal.sweep(stocks, SPEC, threads=2, progress=False)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_results_store_is_written_and_already_done_is_read_back(tmp_path, store, stocks):
    res = tmp_path / "r.db"
    df = rebal.sweep(store, SPEC, results=res, progress=False)
    pd.testing.assert_frame_equal(comparable(df), comparable(store_runs(str(res))), check_exact=True)
    again = rebal.sweep(store, SPEC, results=res, progress=False)  # complete already: read, not run
    assert again.attrs["rebal"]["summary"]["already"] == df.attrs["rebal"]["summary"]["sweep_id"]
    assert again.attrs["rebal"]["summary"]["ran"] == 0
    pd.testing.assert_frame_equal(comparable(df), comparable(again), check_exact=True)
    r = cli("runs", str(res), "--top", "3")
    assert "threshold" in r.stdout or "hybrid" in r.stdout or "calendar" in r.stdout


def test_progress_callback_and_plain_line(stocks, capfd):
    seen = []
    rebal.sweep(stocks, SPEC, progress=lambda done, total: seen.append((done, total)))
    # the callback may not be called for a sweep that ends within one tick; when it is, the
    # total is the configurations to run
    assert all(t == 36 and 0 <= d <= 36 for d, t in seen)
    rebal.sweep(stocks, SPEC, progress=False)
    assert capfd.readouterr().err == ""


def big_spec(n, fees=5):
    return {"data": {"assets": "SPX=0.6,CASH=0.4"},
            "threshold": {"band": "0.0001:%s:0.0001" % repr(round(n * 0.0001, 4))},
            "costs": {"fee_bps": list(range(fees))}}


def test_ctrl_c_from_another_thread_keeps_what_is_done(tmp_path, store):
    """interrupt_main() is what Ctrl-C does: the sweep stops between blocks, the rows done are
    in the exception and in the results store, and resume=True completes it."""
    res = tmp_path / "r.db"
    # 180,000 configurations of 5,000 daily bars: about 2 s on two cores, where the interrupt
    # comes a tick or two (0.1 s each) after the first rows
    spec = big_spec(9000, fees=20)
    started = threading.Event()

    def progress(done, total):
        if done > 0:
            started.set()

    def interrupter():
        if started.wait(timeout=300):
            _thread.interrupt_main()

    t = threading.Thread(target=interrupter)
    t.start()
    with pytest.raises(rebal.Interrupted) as e:
        rebal.sweep(store, spec, results=res, progress=progress, threads=2)
    t.join()
    assert isinstance(e.value, KeyboardInterrupt)
    done = e.value.results
    total = 180000
    assert 0 < len(done) < total, "the sweep ended before the interrupt reached it"
    assert "resume=True" in str(e.value)
    stored = store_runs(str(res))
    assert sorted(stored["config_id"]) == sorted(done["config_id"])
    with sqlite3.connect(res) as con:
        status = con.execute("SELECT status FROM sweeps").fetchone()[0]
    assert status in ("interrupted", "done")
    full = rebal.sweep(store, spec, results=res, resume=True, progress=False)
    assert len(full) == total and full["config_id"].is_unique
    assert full.attrs["rebal"]["summary"]["skipped"] == len(done)
    # the rows run before the interrupt are those a whole run gives
    whole = rebal.sweep(store, spec, progress=False).set_index("config_id").sort_index()
    part = done.set_index("config_id").sort_index()
    assert np.array_equal(part["final_value"].to_numpy(), whole.loc[part.index, "final_value"].to_numpy())


def test_an_exception_in_progress_stops_the_sweep(store):
    class Stop(Exception):
        pass

    def progress(done, total):
        raise Stop()

    with pytest.raises(Stop):
        rebal.sweep(store, big_spec(2000), progress=progress)


def test_failed_configurations_are_rows(store):
    spec = {"data": {"assets": "BTC=0.5,ETH=0.5"}, "threshold": {"band": [0.05, 0.1]},
            "costs": {"amm_depth": ["BTC=1e3", "BTC=1e9"]}}
    df = rebal.sweep(store, spec, progress=False)
    failed = df[df["status"] == "failed"]
    assert len(failed) == 2 and failed["error"].str.contains("BTC").all()
    assert failed["final_value"].isna().all()
    assert set(df["amm_depth"].astype(str)) == {"BTC=1e3", "BTC=1e9"}  # per-asset values stay text


def test_errors(store, tmp_path):
    with pytest.raises(rebal.SettingsError, match=r"sweep:4: \[threshold\] band: 1.5 is out of range"):
        rebal.sweep(store, "[data]\nassets = SPX=1\n[threshold]\nband = 0.05, 1.5\n", progress=False)
    with pytest.raises(rebal.FileError, match="nope.ini"):
        rebal.sweep(store, str(tmp_path / "nope.ini"), progress=False)
    with pytest.raises(rebal.SettingsError):
        rebal.sweep(store, {"threshold": [0.1]}, progress=False)
    with pytest.raises(rebal.SettingsError, match="report"):
        rebal.report(rebal.sweep(store, "[data]\nassets = SPX=1\n[buy-and-hold]\n", progress=False),
                     tmp_path / "rep", prices=store)


def test_report_of_a_sweep(tmp_path, store):
    df = rebal.sweep(store, SPEC, results=tmp_path / "r.db", progress=False)
    out = rebal.report(df, tmp_path / "rep", prices=store, no_charts=True)
    assert out["configurations"] == len(df)
    assert os.path.exists(tmp_path / "rep" / "index.html") and os.path.exists(tmp_path / "rep" / "summary.csv")
    out2 = rebal.report(str(tmp_path / "r.db"), tmp_path / "rep2", prices=store, no_charts=True, top=3)
    assert out2["best"] == out["best"]


def test_the_gil_is_released_while_the_engine_runs(store):
    """Another Python thread goes on while a sweep runs: it counts while the sweep's thread
    is inside the engine. Were the GIL held, it could not count until the sweep ended."""
    inside = threading.Event()
    finished = threading.Event()

    def progress(done, total):
        inside.set()

    def sweeper():
        try:
            rebal.sweep(store, big_spec(9000, fees=10), threads=1, progress=progress)
        finally:
            finished.set()

    t = threading.Thread(target=sweeper)
    t.start()
    assert inside.wait(timeout=300)
    counted = 0
    while not finished.is_set():
        counted += 1
    t.join()
    assert counted > 10000, "the main thread ran %d loops while the sweep ran" % counted


def test_progress_true_draws_on_stderr(store, capfd):
    """progress=True: a tqdm bar when tqdm is installed, else a line rewritten on stderr; the
    sweep lasts several ticks of 0.1 s, so something is drawn, and it ends with a newline."""
    rebal.sweep(store, big_spec(9000, fees=10), threads=1, progress=True)
    err = capfd.readouterr().err
    assert "configurations" in err or "config" in err, err[:200]
    assert "/ 90000" in err or "90000" in err
