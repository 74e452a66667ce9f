import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/report/fake.py
import fake  # noqa: E402


@pytest.fixture(scope="session")
def long_table():
    return fake.fake_table()


@pytest.fixture()
def pilot_table():
    return fake.fake_pilot()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
