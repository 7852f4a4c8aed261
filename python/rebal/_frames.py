"""DataFrames in and out: a wide price DataFrame into the arrays the library reads in place,
the library's CSV outputs and matrices back into DataFrames with a UTC DatetimeIndex."""

import io

import numpy as np
import pandas as pd

from ._errors import DataError, SettingsError


def seconds_of_index(index, what="prices"):
    """A DatetimeIndex (naive = UTC, aware converted to UTC) as int64 seconds since the epoch.
    Fractions of a second are refused: the store keeps whole seconds."""
    if not isinstance(index, pd.DatetimeIndex):
        try:
            index = pd.DatetimeIndex(index)
        except (TypeError, ValueError) as e:
            raise DataError("%s: the index must hold dates (a DatetimeIndex): %s" % (what, e)) from None
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    if index.hasnans:
        raise DataError("%s: the index has a missing date (NaT)" % what)
    ns = index.asi8
    if (ns % 1_000_000_000).any():
        bad = index[(ns % 1_000_000_000) != 0][0]
        raise DataError("%s: %s has a fraction of a second; bars are whole seconds" % (what, bad))
    return np.ascontiguousarray(ns // 1_000_000_000, dtype=np.int64)


def prices_arrays(prices):
    """(symbols, times, closes) of a wide DataFrame: one float64 column per symbol, NaN =
    no bar. The closes are the frame's own float64 block where it has one (no copy)."""
    if not isinstance(prices, pd.DataFrame):
        raise SettingsError("prices must be a pandas DataFrame (DatetimeIndex, one column per symbol) or a Store")
    symbols = [str(c) for c in prices.columns]
    if len(set(symbols)) != len(symbols):
        raise DataError("prices: a column name is given twice")
    times = seconds_of_index(prices.index)
    try:
        closes = prices.to_numpy(dtype=np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise DataError("prices: the columns must hold numbers: %s" % e) from None
    return symbols, times, closes


def utc_index(seconds, name="date"):
    """Seconds since the epoch as a UTC DatetimeIndex."""
    return pd.DatetimeIndex(pd.to_datetime(np.asarray(seconds, dtype="int64"), unit="s", utc=True), name=name)


def csv_frame(text, dates=("date",), index="date"):
    """One of the library's CSV outputs as a DataFrame: doubles read back exactly, ISO dates
    as UTC timestamps, the index column (if any) as the index."""
    df = pd.read_csv(io.StringIO(text), float_precision="round_trip", keep_default_na=True)
    for c in dates:
        if c in df.columns:
            df[c] = pd.to_datetime(df[c], utc=True)
    if index and index in df.columns:
        df = df.set_index(index)
    return df


def matrix_frame(m, field):
    """A field of Store.load's matrix as a wide DataFrame."""
    T, N = m["T"], m["N"]
    dtype = np.uint8 if field == "filled" else np.float64
    values = np.frombuffer(m[field], dtype=dtype).reshape(T, N)
    if field == "filled":
        values = values.astype(bool)
    return pd.DataFrame(values, index=utc_index(np.frombuffer(m["time"], dtype=np.int64)),
                        columns=pd.Index(m["symbols"], name="symbol"))


def targets_arrays(targets):
    """(symbols, times, weights) of a DataFrame of target weights over time: a DatetimeIndex,
    one column per asset (CASH allowed), fractions; C-contiguous float64 (copied only when
    the frame's block is not already)."""
    symbols = [str(c) for c in targets.columns]
    times = seconds_of_index(targets.index, "targets")
    try:
        weights = np.ascontiguousarray(targets.to_numpy(dtype=np.float64))
    except (TypeError, ValueError) as e:
        raise DataError("targets: the weights must be numbers: %s" % e) from None
    return symbols, times, weights


def schedule_times(when):
    """The bars of a schedule: the dates of the True values of a boolean Series, or the dates
    of a DatetimeIndex, list or Series of dates."""
    if isinstance(when, pd.Series) and when.dtype == bool:
        return seconds_of_index(when.index[when.to_numpy()], "when")
    if isinstance(when, pd.Series):
        when = when.to_numpy()
    return seconds_of_index(pd.DatetimeIndex(when) if not isinstance(when, pd.DatetimeIndex) else when, "when")


def iso_times(seconds):
    """Seconds as the ISO 8601 UTC text the CSV files of `--when` and `--targets-csv` take."""
    return pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s").strftime("%Y-%m-%dT%H:%M:%SZ")


def when_csv(seconds):
    """A schedule as the CSV text `--when FILE.csv` reads: a header, then one date per line."""
    return "date\n" + "".join(t + "\n" for t in iso_times(seconds))


def targets_csv(symbols, times, weights):
    """A targets table as the CSV text `--targets-csv FILE.csv` reads: date,SYM,...; every
    weight in its shortest exact form, so the file gives back the same doubles."""
    lines = [",".join(["date"] + list(symbols))]
    for t, row in zip(iso_times(times), weights):
        lines.append(",".join([t] + [repr(float(w)) for w in row]))
    return "\n".join(lines) + "\n"
