"""rebal.Store's dated series: imported from a CSV file or a pandas Series as
`rebal import --series` stores them, listed and read back exactly, refused when they
conflict, and read by a run's gas_series exactly as the CLI reads them."""

import os

import numpy as np
import pandas as pd
import pytest

import rebal
from conftest import BUNDLED, cli, cli_json, copy_store

GAS_CSV = os.path.join(BUNDLED, "crypto_gas.csv")


def test_a_series_from_pandas_lists_and_reads_back_exactly(tmp_path):
    idx = pd.DatetimeIndex(["2021-01-01", "2021-01-02", "2021-01-04"])
    values = pd.Series([2.5, 0.1 + 0.2, -1e-3], index=idx)  # 0.1 + 0.2: not a short decimal
    with rebal.Store(tmp_path / "s.db") as s:
        counts = s.import_series("funding", values)
        assert counts == {"rows": 3, "added": 3, "unchanged": 0, "replaced": 0}
        listed = s.series()
        assert list(listed.index) == ["funding"]
        assert listed.loc["funding", "points"] == 3
        assert listed.loc["funding", "first"] == pd.Timestamp("2021-01-01", tz="UTC")
        assert listed.loc["funding", "last"] == pd.Timestamp("2021-01-04", tz="UTC")
        back = s.series("funding")
        assert str(back.index.tz) == "UTC" and back.name == "funding"
        np.testing.assert_array_equal(back.to_numpy(), values.to_numpy())  # bit for bit
        assert s.import_series("funding", values)["unchanged"] == 3  # idempotent


def test_a_conflicting_point_is_refused_unless_replace(tmp_path):
    idx = pd.DatetimeIndex(["2021-01-01", "2021-01-02"])
    with rebal.Store(tmp_path / "s.db") as s:
        s.import_series("gas", pd.Series([1.0, 2.0], index=idx))
        with pytest.raises(rebal.DataError):
            s.import_series("gas", pd.Series([1.0, 3.0], index=idx))
        assert s.series("gas").iloc[1] == 2.0  # all or nothing
        assert s.import_series("gas", pd.Series([1.0, 3.0], index=idx), replace=True)["replaced"] == 1
        assert s.series("gas").iloc[1] == 3.0


def test_bad_series_raise(tmp_path):
    with rebal.Store(tmp_path / "s.db") as s:
        with pytest.raises(rebal.DataError):
            s.series("nothing")
        with pytest.raises(rebal.SettingsError):
            s.import_series("gas", [1.0, 2.0])
        with pytest.raises(rebal.Error, match="series gas: the times must increase"):
            s.import_series("gas", pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2021-01-02", "2021-01-01"])))
        with pytest.raises(rebal.Error, match="series gas"):  # values must be finite
            s.import_series("gas", pd.Series([1.0, np.nan], index=pd.DatetimeIndex(["2021-01-01", "2021-01-02"])))
        assert len(s.series()) == 0


def test_a_file_imported_by_the_package_equals_the_clis(tmp_path):
    theirs = tmp_path / "cli.db"
    cli("import", "--db", str(theirs), "--series", "gas", GAS_CSV)
    with rebal.Store(tmp_path / "py.db") as s:
        counts = s.import_series("gas", GAS_CSV)
        assert counts["added"] > 1000
        mine = s.series("gas")
    with rebal.Store(theirs, readonly=True) as t:
        pd.testing.assert_series_equal(mine, t.series("gas"), check_exact=True)


def test_a_run_reads_a_series_the_package_stored_as_the_cli_does(db, tmp_path):
    path = copy_store(db, tmp_path)
    with rebal.Store(path) as s:
        s.import_series("gas", GAS_CSV)
    flags = ["--assets", "BTC=0.4,ETH=0.3,USDS=0.3", "--strategy", "threshold", "--band", "0.05",
             "--gas-series", "gas"]
    theirs = cli_json("run", "--db", path, *flags)
    with rebal.Store(path, readonly=True) as s:
        r = rebal.run(s, {"BTC": 0.4, "ETH": 0.3, "USDS": 0.3}, strategy="threshold", band=0.05, gas_series="gas")
    assert r.json == theirs
    assert r.json["gas_paid"] > 0
