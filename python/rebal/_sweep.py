"""Sweeps from Python: a specification as text, a path or a dict of sections, run by the
batch simulator; the rows come back as a DataFrame with typed columns, the same columns as
the results store's runs table."""

import hashlib
import os
import sqlite3
import sys
import time

import numpy as np
import pandas as pd

from . import _core, _frames
from ._errors import Interrupted, SettingsError
from ._settings import _FROM_PY, METRICS, text_of


class _Tables:
    """Schedules and targets tables given as pandas objects in a dict spec, written as the CSV
    files sweep files name (when = FILE, targets-csv = FILE) into `directory`, each named
    by a hash of its content: the same table is the same path, so a configuration keeps its
    id from one call to the next (what resume matches)."""

    def __init__(self, directory):
        self.directory = directory

    def path_of(self, key, value):
        if key == "when" and isinstance(value, (pd.Series, pd.DatetimeIndex)):
            text = _frames.when_csv(_frames.schedule_times(value))
        elif key == "targets-csv" and isinstance(value, pd.DataFrame):
            text = _frames.targets_csv(*_frames.targets_arrays(value))
        else:
            return None
        name = "%s-%s.csv" % ("when" if key == "when" else "targets",
                              hashlib.sha256(text.encode()).hexdigest()[:16])
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, name)
        if not os.path.exists(path):
            tmp = path + ".tmp%d" % os.getpid()
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        return path


def _text_or_table(key, value, tables):
    path = tables.path_of(key, value) if tables is not None else None
    return path if path is not None else text_of(key, value)


def _value_list(key, values, tables=None):
    """A key's values as a sweep file writes them: one value, or a list "a, b, c"."""
    if isinstance(values, (str, dict, pd.Series, pd.DataFrame, pd.DatetimeIndex)) or not hasattr(values, "__iter__"):
        return _text_or_table(key, values, tables)
    texts = [_text_or_table(key, v, tables) for v in values]
    if not texts:
        raise SettingsError("%s: an empty list of values" % key)
    # A value holding '=' or ',' (per-asset values) is quoted to stay one value of the list.
    return ", ".join('"%s"' % t if ("=" in t or "," in t) else t for t in texts)


def spec_text(spec, tables_dir=None):
    """The text of a specification given as text, a path or a dict of sections (pandas
    schedules and targets tables written as files into tables_dir)."""
    if isinstance(spec, dict):
        tables = _Tables(tables_dir) if tables_dir else None
        lines = []
        for section, keys in spec.items():
            if not isinstance(keys, dict):
                raise SettingsError("sweep section [%s]: its keys must be a dict" % section)
            lines.append("[%s]" % section)
            for name, values in keys.items():
                key = _FROM_PY.get(name, name.replace("_", "-"))
                lines.append("%s = %s" % (key, _value_list(key, values, tables)))
            lines.append("")
        return "\n".join(lines), "sweep"
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and "\n" not in spec and "[" not in spec):
        path = os.fspath(spec)
        try:
            with open(path, encoding="utf-8") as f:
                return f.read(), path
        except OSError as e:
            from ._errors import FileError

            raise FileError("%s: cannot read: %s" % (path, e.strerror)) from None
    if isinstance(spec, str):
        return spec, "sweep"
    raise SettingsError("spec must be the text or path of a sweep file, or a dict of sections")


class _Progress:
    """Progress as a tqdm bar when tqdm is installed, else one line rewritten on stderr."""

    def __init__(self):
        self.bar = None
        self.last = 0.0
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        self.tqdm = tqdm

    def __call__(self, done, total):
        if self.tqdm is not None:
            if self.bar is None:
                self.bar = self.tqdm(total=total, unit="config")
            self.bar.update(done - self.bar.n)
            return
        now = time.monotonic()
        if now - self.last >= 0.5 or done == total:
            self.last = now
            sys.stderr.write("\rrebal: %d / %d configurations" % (done, total))
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.last:
            sys.stderr.write("\n")


def categorical(codes, texts):
    """Codes into texts (-1: missing) as a Categorical. The extension's texts are distinct
    strings of the sweep, which may spell the same word twice (month in two sections)."""
    texts = list(texts)
    unique = list(dict.fromkeys(texts))
    if len(unique) != len(texts):
        remap = np.array([unique.index(t) for t in texts] + [-1], dtype=np.int32)
        codes = remap[np.where(codes < 0, len(texts), codes)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(unique, dtype=object))


def frame_of(cols):
    """The DataFrame of the columns rebal._core.sweep filled: one row per configuration run
    (in the specification's order), columns as in the results store's runs table.

    The metrics arrive as one (metrics x configurations) float64 block: the frame is built
    on it without a copy (the layout of a pandas float block) when every configuration ran,
    and the other columns are inserted beside it, so a million rows take a fraction of a
    second."""
    K = cols["K"]
    status = np.frombuffer(cols["status"], dtype=np.uint8)
    keep = status != 0
    every = bool(keep.all())

    def rows(a):
        return a if every else a[keep]

    names = [name for name, _ in cols["metrics"]]
    block = np.frombuffer(cols["metric_block"], dtype=np.float64).reshape(len(names), K)
    df = pd.DataFrame(rows(block.T), columns=names, copy=False)
    sec_codes, sec_texts = cols["section"]
    sc = rows(np.frombuffer(sec_codes, dtype=np.int32))
    families = sorted(set(t.split(".", 1)[0] for t in sec_texts))
    family_code = np.array([families.index(t.split(".", 1)[0]) for t in sec_texts] + [-1], dtype=np.int32)
    error = np.full(len(sc), None, dtype=object)
    if cols["errors"]:
        at = np.cumsum(keep) - 1
        for k, msg in cols["errors"]:
            error[at[k]] = msg
    front = [
        ("config_id", rows(np.frombuffer(cols["config_id"], dtype=np.int64))),
        ("section", categorical(sc, sec_texts)),
        ("strategy", pd.Categorical.from_codes(family_code[sc], categories=pd.Index(families, dtype=object))),
        ("status", pd.Categorical.from_codes(rows(status == 2).astype(np.int8), categories=["ok", "failed"])),
        ("error", error),
    ]
    for i, (name, values) in enumerate(front):
        df.insert(i, name, values)
    dep = rows(np.frombuffer(cols["depleted_on"], dtype=np.int64))
    none = dep == np.iinfo(np.int64).min
    # Nanoseconds (NaT: the least int64) taken as UTC times as they are: pd.to_datetime of the
    # same integers gives the same column in 0.4 ms a call, most of it its cache of values.
    ns = np.where(none, np.iinfo(np.int64).min, dep * 1_000_000_000).view("M8[ns]")
    df["depleted_on"] = pd.array(ns, dtype=pd.DatetimeTZDtype("ns", "UTC"))
    for key, column, numbers, (codes, texts), numeric in cols["params"]:
        num = rows(np.frombuffer(numbers, dtype=np.float64))
        if numeric:
            df[column] = num
            continue
        c = rows(np.frombuffer(codes, dtype=np.int32))
        if np.isnan(num).all():  # words: categories
            df[column] = categorical(c, texts)
        else:  # numbers and texts (per-asset values) in one column, as the store keeps them
            mixed = np.array(list(texts) + [None], dtype=object)[np.where(c < 0, len(texts), c)]
            isnum = ~np.isnan(num)
            mixed[isnum] = num[isnum]
            df[column] = mixed
    return df


def read_results(path, sweep_id):
    """A sweep's rows from a results store (typed as the store keeps them)."""
    with sqlite3.connect("file:%s?mode=ro" % path, uri=True) as con:
        df = pd.read_sql_query("SELECT * FROM runs WHERE sweep_id = ? ORDER BY config_id", con,
                               params=(int(sweep_id),))
    df = df.drop(columns=["sweep_id"])
    df["depleted_on"] = pd.to_datetime(df["depleted_on"], utc=True)
    # Every metric float64 (NaN where NULL), as a sweep's own frame has them: a column NULL
    # in every row (beta without a benchmark, var_95 in a sweep) would read as objects.
    for name, _, _ in METRICS:
        if name in df.columns:
            df[name] = df[name].astype(np.float64)
    for c in ("section", "strategy", "status"):
        df[c] = df[c].astype("category")
    return df


def run_sweep(store, text, name, threads, results, resume, force, progress):
    bar = _Progress() if progress is True else progress if callable(progress) else None
    try:
        summary, cols, stopped = _core.sweep(store, text, name=name, threads=threads or 0,
                                             results=None if results is None else os.fspath(results),
                                             resume=resume, force=force, progress=bar)
    finally:
        if isinstance(bar, _Progress):
            bar.close()
    if results is not None and (summary["already"] or summary["skipped"]):
        df = read_results(os.fspath(results), summary["sweep_id"])
    else:
        df = frame_of(cols)
    df.attrs["rebal"] = {"summary": summary, "results": None if results is None else os.fspath(results)}
    if stopped is not None:
        if isinstance(stopped, KeyboardInterrupt):
            done = "%d of %d configurations done" % (summary["ran"] + summary["skipped"], summary["configurations"])
            where = "; kept in %s (resume=True completes it)" % os.fspath(results) if results is not None else ""
            raise Interrupted("sweep interrupted: %s%s" % (done, where), results=df, summary=summary) from None
        raise stopped
    return df
