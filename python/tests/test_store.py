"""rebal.Store: opening, CSV import, DataFrames stored (validated like a wide CSV file, read
in place), assets, and prices aligned as the CLI aligns them; every error path."""

import numpy as np
import pandas as pd
import pytest

import rebal
from conftest import STOCKS, cli


def frame(values, dates, columns):
    return pd.DataFrame(np.array(values, dtype=float), index=pd.DatetimeIndex(dates), columns=columns)


def test_import_csv_counts_and_is_idempotent(tmp_path):
    with rebal.Store(tmp_path / "s.db") as s:
        first = s.import_csv(STOCKS)
        assert first["files"] == 1 and first["bars_added"] > 500 and first["assets_added"] == 5
        again = s.import_csv([STOCKS])
        assert again["bars_added"] == 0 and again["bars_unchanged"] == first["bars_added"]
        assets = s.assets()
        assert list(assets.index) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
        assert assets.loc["AAPL", "first"] == pd.Timestamp("2000-01-01", tz="UTC")
        assert assets["bars"].dtype == np.int64


def test_import_matches_the_cli(tmp_path, db):
    """The same file imported by the package and by the CLI gives the same prices."""
    with rebal.Store(tmp_path / "s.db") as s:
        s.import_csv(STOCKS)
        mine = s.prices(["AAPL", "IBM"])
    theirs = rebal.Store(db, readonly=True).prices(["AAPL", "IBM"])
    pd.testing.assert_frame_equal(mine, theirs, check_exact=True)


def test_prices_has_a_utc_index_and_the_cli_alignment(store):
    px = store.prices(["AAPL", "GOOG"])  # GOOG starts 2004-08: start is the latest first date
    assert str(px.index.tz) == "UTC" and px.index[0] == pd.Timestamp("2004-08-01", tz="UTC")
    assert list(px.columns) == ["AAPL", "GOOG"]
    px2 = store.prices(["AAPL", "CASH"], start="2001-01-01", end="2002-01-01", cash_rate=0.02)
    assert px2.index[0] == pd.Timestamp("2001-01-01", tz="UTC") and px2.index[-1] == pd.Timestamp("2002-01-01",
                                                                                                    tz="UTC")
    assert px2["CASH"].iloc[0] == 1.0 and px2["CASH"].iloc[-1] > 1.0
    assert px2.attrs["periods_per_year"] == 12


def test_union_fills_gaps_and_intersect_drops_them(tmp_path):
    dates = pd.date_range("2021-01-04", periods=6, freq="B")
    df = frame([[1, 10], [2, np.nan], [3, np.nan], [4, 13], [5, 14], [6, 15]], dates, ["A", "B"])
    with rebal.Store(":memory:") as s:
        s.import_frame(df)
        union = s.prices(["A", "B"])
        assert union["B"].tolist() == [10, 10, 10, 13, 14, 15]
        assert union["B"].index.equals(union.index)
        filled = s.prices(["A", "B"], field="filled")
        assert filled["B"].tolist() == [False, True, True, False, False, False]
        inter = s.prices(["A", "B"], align="intersect")
        assert len(inter) == 4
        with pytest.raises(rebal.DataError):
            s.prices(["A", "B"], max_gap=1)


def test_import_frame_reads_any_layout_without_changing_values(tmp_path):
    dates = pd.date_range("2020-01-01", periods=50, freq="D")
    values = np.random.default_rng(1).uniform(1, 100, size=(50, 3))
    c_order = pd.DataFrame(np.ascontiguousarray(values), index=dates, columns=["X", "Y", "Z"])
    f_order = pd.DataFrame(np.asfortranarray(values), index=dates, columns=["X", "Y", "Z"])
    strided = pd.DataFrame(np.ascontiguousarray(np.repeat(values, 2, axis=1))[:, ::2], index=dates,
                           columns=["X", "Y", "Z"])
    out = []
    for df in (c_order, f_order, strided):
        with rebal.Store(":memory:") as s:
            stats = s.import_frame(df)
            assert stats["bars_added"] == 150
            got = s.prices(["X", "Y", "Z"])
            out.append(got)
            assert np.array_equal(got.to_numpy(), values)
    pd.testing.assert_frame_equal(out[0], out[1], check_exact=True)
    pd.testing.assert_frame_equal(out[0], out[2], check_exact=True)


def test_tz_aware_index_is_converted_to_utc():
    idx = pd.DatetimeIndex(["2021-01-04 09:30", "2021-01-05 09:30"]).tz_localize("America/New_York")
    with rebal.Store(":memory:") as s:
        s.import_frame(pd.DataFrame({"A": [1.0, 2.0]}, index=idx))
        assert s.assets().loc["A", "first"] == pd.Timestamp("2021-01-04 14:30", tz="UTC")


@pytest.mark.parametrize("values,dates,message", [
    ([[1.0], [-2.0]], ["2020-01-01", "2020-01-02"], "row 2 (2020-01-02), column A: price -2 is not positive"),
    ([[1.0], [np.inf]], ["2020-01-01", "2020-01-02"], "is not finite"),
    ([[1.0], [1e13]], ["2020-01-01", "2020-01-02"], "is outside 1e-12 to 1e12"),
    ([[1.0], [2.0]], ["2020-01-02", "2020-01-01"], "row 2: time 2020-01-01 is not after the row before's 2020-01-02"),
])
def test_import_frame_refuses_bad_rows(values, dates, message):
    with rebal.Store(":memory:") as s:
        with pytest.raises(rebal.DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
            s.import_frame(frame(values, dates, ["A"]))
        assert isinstance(e.value, ValueError) and isinstance(e.value, rebal.Error)
        assert len(s.assets()) == 0  # nothing stored


def test_import_frame_refuses_bad_symbols_and_indexes():
    d = pd.DatetimeIndex(["2020-01-01", "2020-01-02"])
    with rebal.Store(":memory:") as s:
        with pytest.raises(rebal.DataError, match="column 1"):
            s.import_frame(pd.DataFrame({"CASH": [1.0, 1.0]}, index=d))
        with pytest.raises(rebal.DataError, match="given twice"):
            s.import_frame(pd.DataFrame([[1.0, 2.0], [1.0, 2.0]], index=d, columns=["A", "A"]))
        with pytest.raises(rebal.DataError, match="fraction of a second"):
            s.import_frame(pd.DataFrame({"A": [1.0, 2.0]}, index=d + pd.Timedelta("1ms")))
        with pytest.raises(rebal.DataError, match="index must hold dates"):
            s.import_frame(pd.DataFrame({"A": [1.0, 2.0]}, index=["x", "y"]))
        with pytest.raises(rebal.DataError, match="must hold numbers"):
            s.import_frame(pd.DataFrame({"A": ["a", "b"]}, index=d))
        with pytest.raises(rebal.SettingsError):
            s.import_frame([[1.0]])


def test_import_frame_conflicts_and_replace():
    d = pd.DatetimeIndex(["2020-01-01", "2020-01-02"])
    with rebal.Store(":memory:") as s:
        s.import_frame(pd.DataFrame({"A": [1.0, 2.0]}, index=d))
        with pytest.raises(rebal.DataError, match="replace"):
            s.import_frame(pd.DataFrame({"A": [1.0, 3.0]}, index=d))
        assert s.prices("A")["A"].tolist() == [1.0, 2.0]
        assert s.import_frame(pd.DataFrame({"A": [1.0, 3.0]}, index=d), replace=True)["bars_replaced"] == 1
        assert s.prices("A")["A"].tolist() == [1.0, 3.0]
        extreme = pd.DataFrame({"B": [1e13, 2e13]}, index=d)
        assert s.import_frame(extreme, allow_extreme_prices=True)["bars_added"] == 2


def test_errors_name_what_is_wrong(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(rebal.StoreError) as e:
        rebal.Store(junk)
    assert isinstance(e.value, OSError)
    with rebal.Store(tmp_path / "s.db") as s:
        with pytest.raises(rebal.FileError, match="missing.csv"):
            s.import_csv(tmp_path / "missing.csv")
        bad = tmp_path / "bad.csv"
        bad.write_text("symbol,date,close\nA,2020-01-01,1\nA,2020-01-02,x\n")
        with pytest.raises(rebal.DataError, match="bad.csv:3"):
            s.import_csv(bad)
        with pytest.raises(ValueError, match="format"):
            s.import_csv(bad, format="jsonl")
        with pytest.raises(rebal.DataError, match="NOPE"):
            s.prices(["NOPE"])
        with pytest.raises(rebal.SettingsError):
            s.prices(["A"], field="high")
    with pytest.raises(ValueError, match="closed"):
        s.assets()


def test_readonly_store_refuses_writes(db):
    with rebal.Store(db, readonly=True) as s:
        with pytest.raises(rebal.Error):
            s.import_csv(STOCKS)


def test_undated_import_options(tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("A,B\n1,2\n1.5,2.5\n")
    with rebal.Store(":memory:") as s:
        s.import_csv(f, start="2021-01-04", every="business-day")
        assert s.prices(["A", "B"]).index[-1] == pd.Timestamp("2021-01-05", tz="UTC")
    r = cli("--version")
    assert "rebal" in r.stdout


def test_a_frame_seen_before_reuses_its_store_only_when_equal():
    from rebal import _store_of

    d = pd.date_range("2021-01-01", periods=3, freq="D")
    a = pd.DataFrame({"A": [1.0, 2.0, 3.0]}, index=d)
    first = _store_of(a)
    assert _store_of(a.copy()) is first  # equal values: the same store
    changed = a.copy()
    changed.iloc[2, 0] = 3.5
    other = _store_of(changed)
    assert other is not first
    r1 = rebal.run(a, {"A": 1.0}, strategy="buy-and-hold")
    r2 = rebal.run(changed, {"A": 1.0}, strategy="buy-and-hold")
    assert r1.metrics["final_value"] == 300000.0 and r2.metrics["final_value"] == 350000.0
    renamed = a.rename(columns={"A": "B"})
    assert _store_of(renamed) is not first
