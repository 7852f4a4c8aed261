"""Fixtures of the Python package's tests: the bundled data (data/bundled, never ../shared),
the rebal command built beside the module (REBAL_CLI), and stores made from them."""

import json
import os
import shutil
import subprocess

import pytest

import rebal

SOURCE = os.environ.get("REBAL_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("REBAL_CLI", os.path.join(SOURCE, "build", "cli", "rebal"))
BUNDLED = os.path.join(SOURCE, "data", "bundled")
STOCKS = os.path.join(BUNDLED, "stocks_monthly.csv")
SP500 = os.path.join(BUNDLED, "sp500_daily.csv")
CRYPTO = os.path.join(BUNDLED, "crypto_daily.csv")


def cli(*args, cwd=None, check=True):
    """Runs the rebal command; returns its CompletedProcess (text)."""
    r = subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError("rebal %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def cli_json(*args, cwd=None):
    return json.loads(cli(*args, "--json", cwd=cwd).stdout)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A directory with a store of every bundled file, imported by the CLI."""
    d = tmp_path_factory.mktemp("data")
    cli("import", "-q", "--db", str(d / "prices.db"), STOCKS, CRYPTO)
    cli("import", "-q", "--db", str(d / "prices.db"), "--symbol", "SPX", SP500)
    return d


@pytest.fixture(scope="session")
def db(data_dir):
    return str(data_dir / "prices.db")


@pytest.fixture(scope="session")
def store(db):
    s = rebal.Store(db, readonly=True)
    yield s
    s.close()


@pytest.fixture(scope="session")
def stocks(store):
    """The four stocks with a full history, aligned as the CLI aligns them."""
    return store.prices(["AAPL", "AMZN", "IBM", "MSFT"])


@pytest.fixture
def workdir(tmp_path):
    return tmp_path


def copy_store(db, tmp_path):
    p = tmp_path / "copy.db"
    shutil.copy(db, p)
    return str(p)
