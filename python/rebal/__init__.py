"""rebal for Python: portfolio-rebalancing research over the rebal C engine.

    import rebal
    store = rebal.Store("rebal.db")
    prices = store.prices(["AAPL", "MSFT"])
    result = rebal.run(prices, {"AAPL": 0.5, "MSFT": 0.5}, strategy="threshold", band=0.05, fee_bps=10)
    result.metrics["cagr"], result.curve
    runs = rebal.sweep(prices, {"data": {"assets": "AAPL=0.5,MSFT=0.5"},
                                "threshold": {"band": np.linspace(0.01, 0.2, 20)}})

Prices are a wide DataFrame (a DatetimeIndex, one column per symbol, NaN where a symbol has
no bar) or a Store. Settings are the `rebal run` options with '_' for '-' (fee_bps for
--fee-bps): rebal.settings() lists them, help(rebal.run) documents each. docs/python.md
has the whole guide.
"""

import inspect
import json
import os
import shutil
import tempfile

import numpy as np
import pandas as pd

from . import _core
from ._errors import (DataError, Error, FileError, Interrupted, OutOfMemory, SettingsError,
                      StoreError)
from . import _frames, _settings, _sweep

__version__ = _core.VERSION
CASH = _core.CASH

__all__ = ["Store", "run", "sweep", "report", "Result", "settings", "strategies", "metrics", "Error",
           "SettingsError", "DataError", "FileError", "StoreError", "OutOfMemory", "Interrupted", "CASH"]


def settings():
    """The run settings and strategy parameters as a DataFrame: key (as rebal.run takes it),
    how a value is written, default, group, type, range and help; from the library's table,
    the one the CLI's options and sweep files come from."""
    rows = [dict(r, strategy=None) for r in _settings.SETTINGS]
    for st in _settings.STRATEGIES:
        rows.extend(dict(r, strategy=st["name"]) for r in st["params"])
    df = pd.DataFrame(rows)
    df.insert(0, "name", [_settings.py_name(k) for k in df["key"]])
    return df


def strategies():
    """The rebalancing rules: name, summary and parameter names."""
    return pd.DataFrame([{"name": s["name"], "summary": s["summary"],
                          "params": [_settings.py_name(p["key"]) for p in s["params"]]}
                         for s in _settings.STRATEGIES])


def metrics():
    """The metrics a run and a sweep give: name, unit, definition (docs/metrics.md)."""
    return pd.DataFrame(_settings.METRICS, columns=["name", "unit", "definition"])


class Store:
    """A rebal price store (an SQLite file; ":memory:" for a private one in memory).

    Store(path, readonly=False). Opening creates and migrates a writable store; a file that is
    not a rebal store raises StoreError and is left as it was. Use as a context manager, or
    call close(); a closed store raises ValueError.
    """

    def __init__(self, path="rebal.db", readonly=False):
        self.path = os.fspath(path)
        self._store = _core.Store(self.path, readonly=readonly)

    def __repr__(self):
        return "rebal.Store(%r)" % self.path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._store.close()

    def import_csv(self, paths, **options):
        """Imports CSV files in one transaction (all or nothing), as `rebal import` does.

        paths: a file name or a list of them. Options (the `rebal import` flags):
        format ("auto", "long", "wide", "ohlcv"), symbol (of an OHLCV file), price
        ("close" or "adjclose"), delimiter, date_format (strptime-style), replace (bool),
        decimal ("." or ","), start and every (undated files: "day", "business-day",
        "week", "month", "hour", "minute"), allow_extreme_prices (bool).
        Returns the counts: files, rows, bars_added, bars_unchanged, bars_replaced, assets_added.
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        return self._store.import_csv([os.fspath(p) for p in paths], **options)

    def import_frame(self, prices, replace=False, allow_extreme_prices=False, name="DataFrame"):
        """Stores a wide DataFrame of closes (DatetimeIndex, one column per symbol, NaN = no
        bar), validated as a wide CSV file is, in one transaction. Returns the counts."""
        symbols, times, closes = _frames.prices_arrays(prices)
        return self._store.import_arrays(name, symbols, times, closes, replace=replace,
                                         allow_extreme_prices=allow_extreme_prices)

    def import_series(self, name, source, replace=False):
        """Stores a dated series (a gas price, a pool's depth, a funding rate, a benchmark)
        under name, as `rebal import --series NAME FILE` does, in one transaction: source is
        a date,value CSV file, or a pandas Series of numbers with a DatetimeIndex (naive =
        UTC). A stored point with another value is refused unless replace. Runs read it with
        gas_series=name or amm_depth_series="SYM=name". Returns the counts: rows, added,
        unchanged, replaced."""
        if isinstance(source, (str, os.PathLike)):
            return self._store.import_series(name, os.fspath(source), replace=replace)
        if not isinstance(source, pd.Series):
            raise SettingsError("import_series: source must be a CSV file name or a pandas Series")
        times = _frames.seconds_of_index(source.index, "series %s" % name)
        try:
            values = np.ascontiguousarray(source.to_numpy(dtype=np.float64))
        except (TypeError, ValueError) as e:
            raise DataError("series %s: the values must be numbers: %s" % (name, e)) from None
        return self._store.import_series(name, times=times, values=values, replace=replace)

    def series(self, name=None):
        """Without name, the stored series: a DataFrame of first, last and points by name
        (`rebal series`). With name, that series' points as a pandas Series with a UTC
        DatetimeIndex (`rebal series NAME`); DataError when the store has no such series."""
        if name is None:
            rows = self._store.series()
            df = pd.DataFrame(rows, columns=["name", "first", "last", "points"])
            for c in ("first", "last"):
                df[c] = pd.to_datetime(df[c], unit="s", utc=True)
            return df.set_index("name")
        times, values = self._store.series_points(name)
        return pd.Series(np.frombuffer(values, dtype=np.float64).copy(),
                         index=_frames.utc_index(np.frombuffer(times, dtype=np.int64)), name=name)

    def assets(self):
        """The stored assets: symbol, first and last bar, bars, and the largest gap between
        two consecutive bars (gap_from, gap_to)."""
        rows = self._store.assets()
        df = pd.DataFrame(rows, columns=["symbol", "first", "last", "bars", "gap_from", "gap_to"])
        for c in ("first", "last", "gap_from", "gap_to"):
            df[c] = pd.to_datetime(df[c], unit="s", utc=True)
        return df.set_index("symbol")

    def prices(self, symbols, start=None, end=None, field="close", align="union", max_gap=None,
               cash_rate=0.0, periods_per_year=0.0):
        """The aligned prices of symbols as a wide DataFrame with a UTC DatetimeIndex: the
        matrix `rebal run` replays (the same alignment: align "union" forward-fills gaps of
        at most max_gap bars, "intersect" keeps the dates every asset trades; start and end
        default to the range every asset covers). field: "close", "open", "volume" or
        "filled" (True where a bar was forward-filled). "CASH" is the cash position."""
        if field not in ("close", "open", "volume", "filled"):
            raise SettingsError("field: '%s' is not close, open, volume or filled" % field)
        if isinstance(symbols, str):
            symbols = [symbols]
        m = self._store.load(list(symbols), start=_time_of(start, "start"), end=_time_of(end, "end"), align=align,
                             max_gap=max_gap, cash_rate=float(cash_rate), periods_per_year=float(periods_per_year))
        df = _frames.matrix_frame(m, field)
        df.attrs["periods_per_year"] = m["periods_per_year"]
        df.attrs["periods_source"] = m["periods_source"]
        return df


def _time_of(value, what):
    if value is None:
        return None
    if isinstance(value, str):
        return _core.parse_time(value)
    return int(_frames.seconds_of_index(pd.DatetimeIndex([pd.Timestamp(value)]), what)[0])


# The in-memory stores of the last DataFrames passed, with copies of what they hold: a frame
# equal to one of them (the same symbols, times and values, compared exactly) reuses its
# store instead of importing again, as a notebook running one frame through many calls does.
_RECENT = []
_RECENT_MAX = 2
_RECENT_CELLS = 5_000_000  # larger frames are not kept (their copies would cost memory)


def _store_of(prices):
    """A store holding the prices: the Store itself, or a private in-memory one the
    DataFrame is imported into."""
    if isinstance(prices, Store):
        return prices._store
    symbols, times, closes = _frames.prices_arrays(prices)
    for i, (sy, tm, cl, mem) in enumerate(_RECENT):
        if sy == symbols and np.array_equal(tm, times) and np.array_equal(cl, closes, equal_nan=True):
            _RECENT.insert(0, _RECENT.pop(i))
            return mem
    mem = _core.Store(":memory:")
    mem.import_arrays("prices", symbols, times, closes)
    if closes.size <= _RECENT_CELLS:
        _RECENT.insert(0, (symbols, times.copy(), np.array(closes, copy=True), mem))
        del _RECENT[_RECENT_MAX:]
    return mem


class Result:
    """One run: metrics (dict, the keys of `rebal run --json`), conventions, run (what was
    run: strategy, every setting, assets and targets, data range, dataset hash), curve (value,
    cash, flow, drawdown and weights per bar), orders, lots and realized (DataFrames)."""

    def __init__(self, texts, settings, store, schedule=None, table=None):
        self.json = json.loads(texts["json"])
        self.conventions = self.json.get("conventions", {})
        self.run = self.json.get("run", {})
        self.metrics = {k: v for k, v in self.json.items() if k not in ("conventions", "run")}
        self.settings = settings
        self._texts = texts
        self._store = store
        self._schedule = schedule
        self._table = table
        self._cache = {}

    def __repr__(self):
        m = self.metrics
        return "<rebal.Result %s: final_value %.2f, cagr %.4f, rebalances %d>" % (
            self.run.get("strategy"), m["final_value"], m["cagr"], m["rebalances"])

    def _frame(self, name, index):
        if name not in self._cache:
            self._cache[name] = _frames.csv_frame(self._texts[name], dates=("date", "open_date", "close_date"),
                                                      index=index)
        return self._cache[name]

    @property
    def curve(self):
        """Per bar: value, cash, flow, drawdown and one weight column per asset."""
        return self._frame("curve", "date")

    @property
    def orders(self):
        """Every order: date, bar, kind, symbol, side, units, price, value, fee, slippage, gas,
        skipped."""
        return self._frame("trades", None)

    @property
    def lots(self):
        """The tax-lot ledger: lot_id, symbol, open_date, units, cost, close_date, proceeds,
        gain, term, wash_disallowed (lots still held have no close_date)."""
        return self._frame("lots", None)

    @property
    def realized(self):
        """The realized gains: the lots (or parts of lots) sold, with their close date,
        proceeds, gain and term."""
        lots = self.lots
        return lots[lots["close_date"].notna()]

    def report(self, out_dir, **options):
        """The report of this run against buy-and-hold and every-bar rebalancing under the same
        data, costs and taxes (`rebal run --report`). A schedule or targets DataFrame given
        as arrays is written next to the report (when.csv, targets.csv), which the report
        replays from."""
        out_dir = os.fspath(out_dir)
        settings = list(self.settings)
        if self._schedule is not None or self._table is not None:
            os.makedirs(out_dir, exist_ok=True)
        if self._schedule is not None:
            path = os.path.join(out_dir, "when.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(_frames.when_csv(self._schedule))
            settings.append(("when", path))
        if self._table is not None:
            path = os.path.join(out_dir, "targets.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(_frames.targets_csv(*self._table))
            settings.append(("targets-csv", path))
        return _core.report(self._store, out_dir, settings=settings, **options)


def _settings_of(targets, strategy, settings):
    pairs = []
    if isinstance(targets, dict):
        pairs.append(("assets", ",".join("%s=%s" % (s, _settings.text_of("assets", w)) for s, w in targets.items())))
    elif isinstance(targets, str):
        pairs.append(("assets", targets))
    elif targets is not None and not isinstance(targets, pd.DataFrame):
        raise SettingsError("targets must be a dict {SYM: weight}, 'SYM=W,...' or a DataFrame of weights over time")
    pairs.append(("strategy", strategy))
    for name, value in settings.items():
        if value is None:
            continue
        key = _settings.key_of(name)
        pairs.append((key, _settings.text_of(key, value)))
    return pairs


def run(prices, targets, strategy="threshold", *, when=None, keep=("curve", "orders", "lots"), **settings):
    """Replays one configuration with the reference simulator (`rebal run`).

    prices: a wide DataFrame (DatetimeIndex, naive = UTC; one float column per symbol; NaN
        where a symbol has no bar), or a Store (the symbols are those of targets).
    targets: {symbol: weight} summing to 1 ("CASH" for cash), 'SYM=W,...', or a DataFrame of
        target weights over time (DatetimeIndex; one column per asset; each row summing to
        1), the row dated d in force from the first bar at or after d (`--targets-csv`):
        every rule trades to the row in force, and bands measure drift against it.
    strategy: a rebalancing rule (rebal.strategies()).
    when: with strategy="schedule", the bars to rebalance on: a boolean Series (the dates of
        its True values), dates (DatetimeIndex, list), or the path of a CSV file as
        `--when FILE.csv` reads it; exactly those bars.
        Together with a targets DataFrame this replays any target-weight backtest.
    keep: which of "curve", "orders", "lots" to keep (all by default; () is faster).
    settings: any `rebal run` option with '_' for '-', listed below; numbers as numbers
        (fractions as 0.05, not 5), words as str, per-asset values as {SYM: value}, dates as
        str, datetime or Timestamp, flags as True/False.

    Returns a Result. Bad settings raise SettingsError (a ValueError), bad data DataError,
    with the CLI's messages.
    """
    store = _store_of(prices)
    table = None
    if isinstance(targets, pd.DataFrame):
        table = _frames.targets_arrays(targets)
        targets = ",".join(table[0])  # --assets names the symbols; the table gives weights
    schedule = None
    if isinstance(when, (str, os.PathLike)):  # a file, as --when FILE.csv
        settings["when"] = os.fspath(when)
    elif when is not None:
        schedule = _frames.schedule_times(when)
    pairs = _settings_of(targets, strategy, settings)
    flags = {"curve": 1, "orders": 2, "trades": 2, "lots": 4}
    try:
        mask = sum(flags[k] for k in set(keep))
    except KeyError as e:
        raise SettingsError("keep: %s is not curve, orders or lots" % e) from None
    described = list(pairs)
    if schedule is not None:
        described.append(("when", "array of %d times" % len(schedule)))
    if table is not None:
        described.append(("targets-csv", "DataFrame of %d rows" % len(table[1])))
    texts = _core.run(store, pairs, keep=mask, schedule=schedule, targets=table, described=described)
    return Result(texts, pairs, store, schedule=schedule, table=table)


def sweep(prices, spec, threads=None, progress=True, results=None, resume=False, force=False):
    """Runs every configuration of a sweep with the batch simulator (`rebal sweep`).

    prices: a wide DataFrame or a Store, as for run(); the spec's [data] assets name the
        symbols.
    spec: the text or path of a sweep file (docs/sweeps.md), or a dict of sections, e.g.
        {"data": {"assets": "SPX=0.6,CASH=0.4"},
         "threshold": {"band": np.linspace(0.01, 0.2, 1000)},
         "costs": {"fee_bps": [5, 10]}}
        (a list or array is the values of a key; '_' in keys is read as '-'). A schedule
        (`when` in [schedule]: a boolean Series or dates) or a targets table (`targets_csv` in
        [data]: a DataFrame of weights over time) may be given as pandas objects, one or a
        list: they are written as CSV files named by their content, beside the results store
        (RESULTS.tables/) or in a scratch directory.
    threads: worker threads (None: every core).
    progress: True shows a progress bar (tqdm when installed, else a line on stderr); a
        callable gets (done, total); False shows nothing.
    results: also record the sweep in this results store (`rebal runs` and `rebal report`
        read it); resume=True continues an interrupted one, force=True records it again.

    Returns a DataFrame, one row per configuration, the columns of the results store's runs
    table: config_id, section, strategy, status, error, every metric (float64), depleted_on,
    then one typed column per parameter (float64 for numbers, categories for words). Ctrl-C
    stops the sweep between blocks and raises rebal.Interrupted (a KeyboardInterrupt) whose
    .results holds the rows done.
    """
    # Schedules and targets tables given as pandas objects become files: beside the results
    # store (kept, so that resume finds the same configurations), else in a scratch directory.
    scratch = None
    if results is not None:
        tables_dir = os.path.splitext(os.fspath(results))[0] + ".tables"
    else:
        tables_dir = scratch = tempfile.mkdtemp(prefix="rebal-tables-")
    try:
        text, name = _sweep.spec_text(spec, tables_dir)
        store = _store_of(prices)
        return _sweep.run_sweep(store, text, name, threads, results, resume, force, progress)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def report(runs, out_dir, prices=None, **options):
    """Writes the report `rebal report` writes (CSV files, charts, index.html) into out_dir.

    runs: a sweep's DataFrame (from sweep(..., results=PATH)), the path of a results store,
        or a Result (the report of that run against buy-and-hold and every-bar rebalancing).
    prices: the Store (or DataFrame) the sweep ran on; a Result knows its own.
    options: title, by (ranking metric), top, scenario, heatmap, weights_id, sweep_id,
        no_charts (see `rebal report --help`).
    Returns a summary dict (configurations, charts_drawn, missing, failed, best).
    """
    if isinstance(runs, Result):
        return runs.report(out_dir, **options)
    if isinstance(runs, pd.DataFrame):
        meta = runs.attrs.get("rebal", {})
        if not meta.get("results"):
            raise SettingsError("report: this sweep was not recorded; run it with results='PATH'")
        options.setdefault("sweep_id", meta["summary"]["sweep_id"])
        runs = meta["results"]
    if prices is None:
        raise SettingsError("report: prices (the Store or DataFrame the sweep ran on) is needed")
    store = _store_of(prices)
    return _core.report(store, os.fspath(out_dir), results=os.fspath(runs), **options)


run.__doc__ = inspect.cleandoc(run.__doc__) + "\n\n" + _settings.settings_doc()
