"""The settings table of the library (the same rows as the CLI's options and sweep files'
keys) turned into Python: keyword names, value spelling, and the generated documentation."""

import datetime
import numbers

from . import _core

SETTINGS = _core.settings()
STRATEGIES = _core.strategies()
METRICS = _core.metrics()

_BY_KEY = {}
for _row in SETTINGS:
    _BY_KEY[_row["key"]] = _row
for _st in STRATEGIES:
    for _row in _st["params"]:
        _BY_KEY.setdefault(_row["key"], _row)
KEYS = frozenset(_BY_KEY)


# Keys whose Python name is not the key with '_' for '-': run()'s own `targets` argument is
# the weights, so the setting `targets` (static or inverse-vol) is `target_mode` there.
RENAMED = {"targets": "target_mode"}
_FROM_PY = {v: k for k, v in RENAMED.items()}


def py_name(key):
    """The keyword argument of a setting key: fee-bps -> fee_bps, targets -> target_mode."""
    return RENAMED.get(key, key.replace("-", "_"))


def key_of(name):
    """The library's key of a keyword argument: fee_bps -> fee-bps. Unknown names raise
    SettingsError with the nearest key."""
    from ._errors import SettingsError

    if name in _FROM_PY:
        return _FROM_PY[name]
    if name in RENAMED:
        raise SettingsError("'%s' is run()'s weights argument; the setting is %s=" % (name, RENAMED[name]))
    key = name.replace("_", "-")
    if key in KEYS:
        return key
    import difflib

    near = difflib.get_close_matches(key, sorted(KEYS), n=1)
    hint = " (did you mean %s?)" % py_name(near[0]) if near else ""
    raise SettingsError("unknown setting '%s'%s; rebal.settings() lists them" % (name, hint))


def _number(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return repr(float(v))  # the shortest text that reads back as the same double
    return None


def text_of(key, value):
    """A Python value as the library spells it: numbers in their shortest exact form, True
    and False as 1 and 0, per-asset dicts as SYM=V,..., dates as ISO 8601."""
    from ._errors import SettingsError

    if isinstance(value, str):
        return value
    n = _number(value)
    if n is not None:
        return n
    if hasattr(value, "isoformat"):  # datetime, date, pandas Timestamp
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        if isinstance(value, datetime.datetime) and value == datetime.datetime.combine(value.date(), datetime.time()):
            value = value.date()
        return value.isoformat()
    if isinstance(value, dict):
        parts = []
        for sym, v in value.items():
            t = text_of(key, v)
            parts.append(t if sym in (None, "*") else "%s=%s" % (sym, t))
        return ",".join(parts)
    raise SettingsError("%s: cannot write a %s as a setting value" % (key, type(value).__name__))


def _range_text(row):
    if row["type"] == "word":
        return "one of: " + ", ".join(row["words"])
    if row["type"] == "flag":
        return "True or False"
    if row["lo"] is None:
        return row["arg"]
    lo, hi = row["lo"], row["hi"]
    fmt = (lambda x: "%g" % x) if row["type"] != "whole" else (lambda x: "%d" % x if abs(x) < 1e18 else "%g" % x)
    text = "%s to %s" % (fmt(lo), fmt(hi))
    if row["fraction"]:
        text += ", a fraction (25% may be written '25%')"
    if row["type"] == "per-asset":
        text += "; per asset as a dict {SYM: value} or 'V,SYM=V'"
    return text


def describe(row):
    """One setting's lines for a docstring: name, how it is written, what it is, range and
    default."""
    name = py_name(row["key"])
    lines = ["%s : %s" % (name, row["arg"]), "    %s." % row["help"].rstrip(".")]
    if row["type"] != "other":  # the others' values are as `arg` writes them
        lines.append("    Values: %s." % _range_text(row))
    if row["default"]:
        lines.append("    Default: %s." % row["default"])
    return "\n".join(lines)


def settings_doc():
    """Every run setting and strategy parameter, grouped as `rebal run --help` groups them."""
    out = []
    groups = []
    for row in SETTINGS:
        if row["group"] not in groups:
            groups.append(row["group"])
    for g in groups:
        out.append("%s settings" % g.capitalize())
        out.append("-" * len(out[-1]))
        out.extend(describe(r) for r in SETTINGS if r["group"] == g)
        out.append("")
    for st in STRATEGIES:
        if not st["params"]:
            continue
        out.append("Parameters of strategy='%s' (%s)" % (st["name"], st["summary"]))
        out.append("-" * len(out[-1]))
        out.extend(describe(r) for r in st["params"])
        out.append("")
    return "\n".join(out)


def metrics_doc():
    return "\n".join("%s (%s): %s" % m for m in METRICS)
