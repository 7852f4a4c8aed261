#!/usr/bin/env python3
"""quickstart.py - rebal from Python in one page: load the bundled stocks, sweep threshold
bands against costs, show the best configurations, and plot the winner's value against
buy-and-hold into a PNG.

From the repository, after ./build.sh build (or ./build.sh test):
    PYTHONPATH=build/python /usr/bin/python3 examples/quickstart.py [OUT.png]
Installed (meson install), no PYTHONPATH is needed.
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

import rebal  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STOCKS = os.path.join(HERE, "..", "data", "bundled", "stocks_monthly.csv")
OUT = sys.argv[1] if len(sys.argv) > 1 else "quickstart.png"

# 1. Prices: a private in-memory store (rebal.Store("rebal.db") keeps them on disk).
store = rebal.Store(":memory:")
store.import_csv(STOCKS)
prices = store.prices(["AAPL", "AMZN", "IBM", "MSFT"])  # a wide DataFrame, UTC dates
targets = {symbol: 0.25 for symbol in prices.columns}
costs = {"spread_bps": 5, "tax_short": 0.35, "tax_long": 0.15}

# 2. A sweep: 15 bands x 3 fee levels of the threshold rule, and buy-and-hold, after taxes.
runs = rebal.sweep(prices, {
    "data": {"assets": targets},
    "costs": {"fee_bps": [0, 10, 25], "spread_bps": costs["spread_bps"]},
    "tax": {"tax_short": costs["tax_short"], "tax_long": costs["tax_long"]},
    "buy-and-hold": {},
    "threshold": {"band": np.round(np.linspace(0.02, 0.30, 15), 4)},
}, progress=False)

columns = ["section", "band", "fee_bps", "after_tax_value", "cagr", "rebalances", "taxes_paid"]
print("The 5 best of %d configurations, after costs and taxes:" % len(runs))
print(runs.sort_values("after_tax_value", ascending=False)[columns].head(5).to_string(index=False))

# 3. The best band at 10 bps against buy-and-hold at the same costs, replayed with every order.
at10 = runs[runs["fee_bps"] == 10]
best = at10[at10["section"] == "threshold"].sort_values("after_tax_value").iloc[-1]
winner = rebal.run(prices, targets, strategy="threshold", band=best["band"], fee_bps=10, **costs)
hold = rebal.run(prices, targets, strategy="buy-and-hold", fee_bps=10, **costs)
print("\nthreshold %.2f: %d rebalances, %.0f paid in taxes; after-tax value %.0f vs buy-and-hold %.0f" % (
    best["band"], winner.metrics["rebalances"], winner.metrics["taxes_paid"], winner.metrics["after_tax_value"],
    hold.metrics["after_tax_value"]))

# 4. The value curves.
fig, ax = plt.subplots(figsize=(9, 5))
ax.plot(winner.curve.index, winner.curve["value"], label="threshold band %.2f" % best["band"])
ax.plot(hold.curve.index, hold.curve["value"], label="buy-and-hold")
ax.set_title("AAPL, AMZN, IBM, MSFT at 25% each, 10 bps fees, 5 bps spread (before taxes)")
ax.set_ylabel("portfolio value (USD)")
ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
ax.legend()
ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(OUT, dpi=110)
print("wrote", OUT)
